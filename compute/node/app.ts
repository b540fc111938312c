import type { KeyObject } from "node:crypto";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { SluiceError } from "../../lib/errors.js";
import { createLogger, type Logger } from "../../lib/logger.js";
import { problem, problemFromError, statusOf } from "../../lib/problem.js";
import { jsonBody } from "../../lib/validate.js";
import { addNoise, noiseScales } from "../dp/noise.js";
import { hePool } from "../he/pool.js";
import { deriveEncryptionKeys, type EncryptionKeys, open, seal } from "../mpc/channel.js";
import { addVectors, decodeVector, encodeVector, splitVector } from "../mpc/ring.js";
import {
  type EncryptedPartial,
  type NodeTask,
  type PartialResult,
  type QueryPlan,
  shareContext,
  shareMessageSchema,
  signEncryptedPartial,
  signedPlanSchema,
  signPartial,
  signShare,
  verifyPlan,
} from "../protocol.js";
import { measuresOf, vectorLength } from "../query/schema.js";
import { outsideApproval } from "./approval-check.js";
import { type NodeDataStore, scaleOf } from "./datastore.js";
import { joinRoutes } from "./join.js";
import { psiRoutes, scoringRoutes } from "./one-node-routes.js";
import { createPeerPins, type PinnedPeer } from "./peers.js";
import { postToPeer } from "./post-to-peer.js";
import type { ScoreQuota } from "./score-quota.js";
import type { ScoringSettings } from "./scoring.js";
import { createShareInbox } from "./share-inbox.js";
import { SpendLedger } from "./spend-ledger.js";

export interface NodeAppOptions {
  nodeId: string;
  ownerId: string;
  privateKey: KeyObject;
  publicKey: string;
  /** The gateway's Ed25519 public key: only plans it signed are computed. */
  gatewayPublicKey: string;
  /**
   * The only nodes this node exchanges shares with or seals anything to, pinned by its owner (id,
   * both keys, address). A compromised gateway cannot bring in a party of its own, nor pose as one.
   */
  peers: PinnedPeer[];
  /** The owner's Ed25519 public keys: only plans inside a scenario the owner signed are computed. */
  ownerPublicKeys: string[];
  store: NodeDataStore;
  /** A helper node holds no data: it takes part in jobs with two owners, adding only shares and noise. */
  helper?: boolean;
  /** Fields of this classification level or above are released only with noise (default 3, as classification@1). */
  noiseFromLevel?: number;
  /** The node's X25519 keys for sealed shares; derived from its signing key when absent. */
  encryption?: EncryptionKeys;
  /** How long to wait for every peer's share (ms). */
  shareTimeoutMs?: number;
  /** How long a call to a peer may take (ms). */
  peerTimeoutMs?: number;
  /** The datasets the owner opened to encrypted scoring, and on what terms. */
  scoring?: Record<string, ScoringSettings>;
  /** Counts scores per entity and scenario; in memory only unless given one backed by a file. */
  scoreQuota?: ScoreQuota;
  /** Counts each scenario's queries and ε against what its owner signed; in memory only unless given one backed by a file. */
  spendLedger?: SpendLedger;
  fetch?: typeof fetch;
  now?: () => Date;
  logger?: Logger;
}

// The largest vector (20,000 cells × 3 measures × 16 bytes) sealed and base64url-encoded, with room to spare.
const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;
// A scoring request: two forms of 32 encrypted coefficients (~300 KB each), keys, and 200,000 ids.
const MAX_SCORING_BYTES = 96 * 1024 * 1024;

/**
 * An owner's cells with every cell its own rows do not fill to k zeroed (its count and sums), so
 * that whatever the gateway does with the totals, no owner's contribution to a released cell
 * covers fewer than k of its rows.
 */
function withholdBelowK(cells: bigint[], plan: QueryPlan): bigint[] {
  const measures = measuresOf(plan.query.aggregate).length;
  const k = BigInt(plan.minGroupSize);
  for (let cell = 0; cell < cells.length; cell += measures) {
    const count = cells[cell] as bigint;
    if (count > 0n && count < k) cells.fill(0n, cell, cell + measures);
  }
  return cells;
}

/** The owner compute node: answers gateway-signed plans with secret-shared partials; its rows never leave. */
export function createNodeApp(options: NodeAppOptions): Hono {
  const fetchPeer = options.fetch ?? fetch;
  const logger = options.logger ?? createLogger({ service: "compute-node", level: "silent" });
  const now = options.now ?? (() => new Date());
  const shareTimeoutMs = options.shareTimeoutMs ?? 15_000;
  const peerTimeoutMs = options.peerTimeoutMs ?? 10_000;
  const inbox = createShareInbox();
  const pins = createPeerPins(options.peers);
  const spend = options.spendLedger ?? new SpendLedger();
  const encryption = options.encryption ?? deriveEncryptionKeys(options.privateKey);
  // What every protocol checks a plan against: the owner's keys and its own classification of its fields.
  const approval = {
    ownerId: options.ownerId,
    ownerPublicKeys: options.ownerPublicKeys,
    holds: (datasetId: string) => options.store.describe(datasetId) !== undefined,
    levelOf: (datasetId: string, field: string) =>
      options.store.describe(datasetId)?.columns.find((c) => c.name === field)?.level,
    noiseFromLevel: options.noiseFromLevel ?? 2,
  };
  // What each job put on the wire (shares to peers and the partial to the gateway), for its log line.
  const bytesSent = new Map<string, number>();
  const running = new Map<string, Promise<PartialResult | EncryptedPartial>>();
  const finished = new Map<string, PartialResult | EncryptedPartial>();

  /** Sends one share, sealed to the peer's pinned key at its pinned address; resolves to the bytes put on the wire. */
  async function sendShare(plan: QueryPlan, to: PinnedPeer, share: bigint[]): Promise<number> {
    const header = { jobId: plan.jobId, from: options.nodeId, to: to.nodeId, length: share.length };
    const sealed = seal(encodeVector(share), to.encryptionKey, shareContext(header));
    const body = JSON.stringify(signShare({ ...header, ...sealed }, options.privateKey));
    await postToPeer({
      fetch: fetchPeer,
      to,
      path: `/jobs/${encodeURIComponent(plan.jobId)}/shares`,
      body,
      contentType: "application/json",
      timeoutMs: peerTimeoutMs,
      what: "share",
    });
    return Buffer.byteLength(body);
  }

  /** The pinned peer of every other party of a plan, in the plan's order (this node's own place: null). */
  const pinnedParties = (plan: QueryPlan) =>
    plan.tasks.map((t) =>
      t.nodeId === options.nodeId ? null : pins.pinned(t, t.role === "helper" ? "helper" : "party"),
    );

  /** This node's own cells: its data's aggregate for an owner, nothing (zeros) for a helper. */
  async function localCells(plan: QueryPlan, task: NodeTask): Promise<bigint[]> {
    if (task.role === "helper") {
      if (!options.helper) throw new SluiceError("forbidden", `node ${options.nodeId} is not a helper node`);
      return new Array<bigint>(vectorLength(plan.query)).fill(0n);
    }
    if (options.helper) throw new SluiceError("forbidden", `helper node ${options.nodeId} holds no data`);
    const refusal = outsideApproval(plan, task, { ...approval, now: now() });
    if (refusal) throw new SluiceError("plan_not_approved", `this node's owner did not approve this plan: ${refusal}`);
    spend.take(plan.terms, { jobId: plan.jobId, epsilonMicro: plan.epsilonMicro });
    const measured = options.store.describe(task.datasetId)?.columns.find((c) => c.name === task.field);
    if (
      measured &&
      plan.query.aggregate !== "count" &&
      measured.type !== "string" &&
      scaleOf(measured.type) !== plan.valueScale
    ) {
      throw new SluiceError(
        "plan_not_approved",
        `${task.datasetId}.${task.field} is ${measured.type}; the plan's fixed point does not match`,
      );
    }
    return withholdBelowK(await options.store.aggregate(task.datasetId, task.field, plan.query), plan);
  }

  /**
   * Under he, an owner withholds its own cells below k, adds its noise, and encrypts the vector
   * under the operator's public key: the gateway adds ciphertexts it cannot read, and only the
   * operator decrypts the total.
   */
  async function runEncrypted(plan: QueryPlan, task: NodeTask): Promise<EncryptedPartial> {
    if (task.role !== "owner" || !plan.he) throw new SluiceError("forbidden", "an encrypted job has owners only");
    const cells = await localCells(plan, task);
    const owners = plan.tasks.filter((t) => t.role === "owner").length;
    const noisy = addNoise(cells, noiseScales(plan.query, plan.valueScale, owners, plan.epsilonMicro));
    const ciphertext = await hePool().encryptVector(plan.he.paramSet, plan.he.publicKey, noisy);
    return signEncryptedPartial(
      { jobId: plan.jobId, nodeId: options.nodeId, length: noisy.length, ciphertext },
      options.privateKey,
    );
  }

  async function run(plan: QueryPlan): Promise<PartialResult | EncryptedPartial> {
    const myIndex = plan.tasks.findIndex((t) => t.nodeId === options.nodeId);
    const task = plan.tasks[myIndex];
    if (!task) throw new SluiceError("forbidden", `this plan has no task for node ${options.nodeId}`);
    if (task.publicKey !== options.publicKey || task.encryptionKey !== encryption.publicKey) {
      throw new SluiceError("forbidden", "the plan names other keys for this node");
    }
    if (plan.computeMode === "he") return runEncrypted(plan, task);
    const owners = plan.tasks.filter((t) => t.role === "owner").length;
    // Every party adds noise that alone makes the release ε-DP, so no party (nor the gateway) sees an
    // un-noised total, and the guarantee holds as long as one party follows the protocol.
    const noisy = addNoise(
      await localCells(plan, task),
      noiseScales(plan.query, plan.valueScale, owners, plan.epsilonMicro),
    );
    const shares = splitVector(noisy, plan.tasks.length);
    const parties = pinnedParties(plan);
    const peers = parties.filter((p): p is PinnedPeer => p !== null);
    const collecting = inbox.collect(
      plan.jobId,
      {
        senders: new Map(peers.map((p) => [p.nodeId, p.publicKey])),
        open: (message) => {
          if (message.length !== noisy.length) {
            throw new RangeError(`it holds ${message.length} elements; this job's vector has ${noisy.length}`);
          }
          return decodeVector(open(message, encryption, shareContext(message)), message.length);
        },
      },
      shareTimeoutMs,
    );
    // The rejection is observed by `await collecting` below; this keeps it from being unhandled meanwhile.
    collecting.catch(() => {});
    const sent = await Promise.all(
      parties.map((peer, i) => (peer === null ? 0 : sendShare(plan, peer, shares[i] as bigint[]))),
    );
    const received = await collecting;
    const partial = addVectors(shares[myIndex] as bigint[], ...received.values());
    const result = signPartial(
      {
        jobId: plan.jobId,
        nodeId: options.nodeId,
        length: partial.length,
        partial: encodeVector(partial).toString("base64url"),
      },
      options.privateKey,
    );
    bytesSent.set(plan.jobId, sent.reduce((a, b) => a + b, 0) + Buffer.byteLength(JSON.stringify(result)));
    return result;
  }

  const limit = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: (c) => problem(c, 413, "payload_too_large", `a message to this route is at most ${maxSize} bytes`),
    });
  const app = new Hono();
  app.use("/jobs", limit(MAX_MESSAGE_BYTES));
  app.use("/jobs/*", limit(MAX_MESSAGE_BYTES));

  app.get("/health", (c) =>
    c.json({
      status: "ok",
      nodeId: options.nodeId,
      ownerId: options.ownerId,
      publicKey: options.publicKey,
      encryptionKey: encryption.publicKey,
      role: options.helper ? "helper" : "owner",
      datasets: options.store.datasetIds().map((id) => options.store.describe(id)),
    }),
  );

  app.post("/jobs", async (c) => {
    const signed = await jsonBody(c, signedPlanSchema);
    if (!verifyPlan(signed, options.gatewayPublicKey)) {
      throw new SluiceError("unauthenticated", "the plan is not signed by the gateway this node trusts");
    }
    const { plan } = signed;
    if (Date.parse(plan.expiresAt) <= now().getTime())
      throw new SluiceError("plan_expired", `the plan expired at ${plan.expiresAt}`);
    // Every other party pinned, before anything is computed (run() sends only to the pinned ones).
    if (plan.computeMode !== "he") pinnedParties(plan);
    const done = finished.get(plan.jobId);
    if (done) return c.json(done);
    const context = {
      requestId: plan.requestId,
      jobId: plan.jobId,
      scenarioId: plan.scenarioId,
      nodeId: options.nodeId,
    };
    let job = running.get(plan.jobId);
    if (!job) {
      logger.info({ ...context, parties: plan.tasks.length }, "plan accepted");
      const started = performance.now();
      job = run(plan)
        .then(
          (partial) => {
            const bytes = bytesSent.get(plan.jobId);
            bytesSent.delete(plan.jobId);
            logger.info(
              { ...context, ms: Math.round(performance.now() - started), bytesSent: bytes },
              "partial returned",
            );
            return partial;
          },
          (error: unknown) => {
            logger.warn({ ...context, code: (error as { code?: string }).code, err: error }, "job failed");
            throw error;
          },
        )
        .finally(() => running.delete(plan.jobId));
      running.set(plan.jobId, job);
    }
    const result = await job;
    finished.set(plan.jobId, result);
    if (finished.size > 10_000) finished.delete(finished.keys().next().value as string);
    return c.json(result);
  });

  const oneNode = { options, encryption, approval, pins, spend, logger, now, limit: limit(MAX_SCORING_BYTES) };
  app.route("/", scoringRoutes(oneNode));
  app.route("/", psiRoutes(oneNode));
  app.route("/", joinRoutes(oneNode));

  app.post("/jobs/:jobId/shares", async (c) => {
    const message = await jsonBody(c, shareMessageSchema);
    if (message.jobId !== c.req.param("jobId") || message.to !== options.nodeId) {
      throw new SluiceError("validation_failed", "the share is addressed to another job or node");
    }
    inbox.deliver(message);
    logger.debug({ jobId: message.jobId, from: message.from, nodeId: options.nodeId }, "share received");
    return c.body(null, 204);
  });

  app.notFound((c) => problem(c, 404, "not_found", `no route ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => {
    const status = error instanceof SluiceError ? statusOf(error) : 500;
    if (status >= 500) logger.error({ err: error, path: c.req.path }, "request failed");
    return problemFromError(c, error);
  });
  return app;
}
