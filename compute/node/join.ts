import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { canonicalHash } from "../../lib/canonical-json.js";
import { SluiceError } from "../../lib/errors.js";
import { problem } from "../../lib/problem.js";
import { jsonBody } from "../../lib/validate.js";
import { joinedNoiseScales } from "../dp/noise.js";
import { gammaLength } from "../join/beaver.js";
import { JoinComputeParty } from "../join/compute-party.js";
import {
  type JoinMessageKind,
  joinMessageParts,
  MAX_JOIN_MESSAGE_BYTES,
  openJoinMessage,
  parseJoinMessage,
  sealJoinMessage,
  verifyJoinHeader,
} from "../join/envelope.js";
import { foldShapes, maskHolder } from "../join/fold.js";
import { alignJoin } from "../join/helper.js";
import { joinRing } from "../join/join-ring.js";
import { ownerJoinInput } from "../join/owner-input.js";
import { type JoinPartial, joinedQueryOf, signJoinPartial } from "../join/partial.js";
import {
  type JoinPart,
  type JoinPlan,
  MAX_JOIN_KEYS,
  rowCapsOf,
  signedJoinPlanSchema,
  verifyJoinPlan,
} from "../join/plan.js";
import { newPseudonymKey, PSEUDONYM_BYTES, pseudonymsOf } from "../join/pseudonyms.js";
import { joinRingBits } from "../join/ring-bits.js";
import {
  decodeOpening,
  decodeOwnerInput,
  decodePartyMessage,
  decodeSeed,
  encodeOpening,
  encodePartyMessage,
} from "../join/wire.js";
import type { SealablePlaintext } from "../mpc/channel.js";
import { encodeVector } from "../mpc/ring.js";
import { normaliseIdentifiers } from "../psi/identifiers.js";
import { vectorLength } from "../query/schema.js";
import { partOutsideApproval } from "./join-approval.js";
import { createJoinInbox } from "./join-inbox.js";
import type { OneNodeContext } from "./one-node-routes.js";
import type { PinnedPeer } from "./peers.js";
import { postToPeer } from "./post-to-peer.js";
import { rawBody } from "./raw-body.js";

/** POST /joins (the gateway's signed plan) and POST /joins/:jobId/messages (the other nodes' sealed messages). */
export function joinRoutes(ctx: OneNodeContext): Hono {
  const { options, encryption, pins, spend, logger } = ctx;
  const inbox = createJoinInbox();
  const timeoutMs = options.shareTimeoutMs ?? 15_000;
  const running = new Map<string, { signature: string; job: Promise<JoinPartial> }>();

  async function send(
    plan: JoinPlan,
    to: PinnedPeer,
    kind: JoinMessageKind,
    step: number,
    payload: Buffer | SealablePlaintext,
  ) {
    const envelope = sealJoinMessage(
      { jobId: plan.jobId, from: options.nodeId, to: to.nodeId, kind, step },
      payload,
      to.encryptionKey,
      options.privateKey,
    );
    await postToPeer({
      ...(options.fetch ? { fetch: options.fetch } : {}),
      to,
      path: `/joins/${encodeURIComponent(plan.jobId)}/messages`,
      body: joinMessageParts(envelope),
      contentType: "application/octet-stream",
      timeoutMs,
      what: kind,
    });
  }

  async function receive(plan: JoinPlan, from: PinnedPeer, kind: JoinMessageKind, step = 0): Promise<Buffer> {
    const envelope = await inbox.receive(plan.jobId, kind, from.nodeId, step, timeoutMs);
    // The envelope is this receipt's own (the inbox hands each over once), so it is opened in place.
    return openJoinMessage(envelope, from.publicKey, encryption, { inPlace: true });
  }

  /** The operator's list as the first part's node receives it: checked against the plan before anything is spent. */
  function operatorListOf(plan: JoinPlan, index: number, ids: string[] | undefined): string[] | undefined {
    if (!plan.operatorIds) {
      if (ids) throw new SluiceError("validation_failed", "ids came beside a plan that names no operator's list");
      return undefined;
    }
    if (index !== 0) {
      if (ids) throw new SluiceError("validation_failed", "only the first part's node takes the operator's list");
      return undefined;
    }
    if (!ids || ids.length !== plan.operatorIds.count || canonicalHash(ids) !== plan.operatorIds.digest)
      throw new SluiceError("validation_failed", "the operator's ids are not the ones the gateway signed");
    return ids;
  }

  async function runOwner(plan: JoinPlan, index: number, peers: PinnedPeer[], helper: PinnedPeer, ids?: string[]) {
    const part = plan.parts[index] as JoinPart;
    if (options.helper) throw new SluiceError("forbidden", `helper node ${options.nodeId} holds no data`);
    const refusal = partOutsideApproval(plan, part, ctx);
    if (refusal) throw new SluiceError("plan_not_approved", `this node's owner did not approve this plan: ${refusal}`);
    const operatorIds = operatorListOf(plan, index, ids);
    spend.take(plan.terms, { jobId: plan.jobId, epsilonMicro: plan.epsilonMicro });
    const ring = joinRing(joinRingBits(plan));
    // The first part's node makes the job's pseudonym key and sends it before computing its own
    // part, so that the other owners compute theirs meanwhile.
    const madeKey = index === 0 ? newPseudonymKey() : null;
    const keyDelivered = madeKey
      ? Promise.all(peers.slice(1).map((peer) => send(plan, peer, "pseudonym-key", 0, madeKey)))
      : Promise.resolve([]);
    keyDelivered.catch(() => {});
    const factors = await options.store.joinFactors(part.task.datasetId, {
      ring,
      keyField: part.task.field,
      keyKind: part.keyKind,
      measuredField: part.measuredField,
      query: part.query,
      maxRowsPerKey: part.maxRowsPerKey,
    });
    await keyDelivered;
    const pseudonymKey = madeKey ?? decodeSeed(await receive(plan, peers[0] as PinnedPeer, "pseudonym-key"));
    const { secret, message } = ownerJoinInput(ring, factors, pseudonymKey);
    // The operator's list, normalised as the keys are, each once, as pseudonyms under the job's key.
    const operatorPseudonyms = operatorIds
      ? pseudonymsOf(pseudonymKey, normaliseIdentifiers(operatorIds, part.keyKind).identifiers)
      : undefined;
    await Promise.all([
      send(plan, helper, "owner-input", 0, message),
      ...(operatorPseudonyms ? [send(plan, helper, "operator-pseudonyms", 0, operatorPseudonyms)] : []),
      send(plan, peers[maskHolder(index)] as PinnedPeer, "mask-seed", 0, secret.maskSeed),
    ]);
    if (index > 1) return null;
    return runComputeParty(plan, index as 0 | 1, peers, helper);
  }

  async function runComputeParty(plan: JoinPlan, party: 0 | 1, peers: PinnedPeer[], helper: PinnedPeer) {
    const widths = plan.parts.map((p) => vectorLength(p.query));
    const ring = joinRing(joinRingBits(plan));
    const seedOwners = plan.parts.map((_, i) => i).filter((i) => maskHolder(i) === party);
    const [messageBytes, ...seeds] = await Promise.all([
      receive(plan, helper, "party-message"),
      ...seedOwners.map((i) => receive(plan, peers[i] as PinnedPeer, "mask-seed")),
    ]);
    const message = decodePartyMessage(
      ring,
      messageBytes as Buffer,
      { party, widths, maxRows: MAX_JOIN_KEYS },
      (rows) => foldShapes(widths, rows).map(gammaLength),
    );
    const computeParty = new JoinComputeParty(
      ring,
      message,
      new Map(seedOwners.map((owner, i) => [owner, decodeSeed(seeds[i] as Buffer)])),
    );
    const other = peers[1 - party] as PinnedPeer;
    for (let step = 0; step < computeParty.multiplications; step++) {
      const mine = computeParty.open();
      const [, theirs] = await Promise.all([
        send(plan, other, "opening", step, encodeOpening(ring, mine)),
        receive(plan, other, "opening", step),
      ]);
      computeParty.receive(decodeOpening(ring, theirs, computeParty.theirOpeningSize()));
    }
    const noise = joinedNoiseScales(joinedQueryOf(plan), plan.valueScale, rowCapsOf(plan), plan.epsilonMicro);
    return computeParty.result(noise);
  }

  async function runHelper(plan: JoinPlan, peers: PinnedPeer[]) {
    if (!options.helper) throw new SluiceError("forbidden", `node ${options.nodeId} is not a helper node`);
    const ring = joinRing(joinRingBits(plan));
    const inputs = await Promise.all(
      plan.parts.map(async (part, i) =>
        decodeOwnerInput(
          ring,
          await receive(plan, peers[i] as PinnedPeer, "owner-input"),
          vectorLength(part.query),
          MAX_JOIN_KEYS,
        ),
      ),
    );
    const listed = plan.operatorIds?.count ?? 0;
    const operatorPseudonyms =
      listed > 0 ? await receive(plan, peers[0] as PinnedPeer, "operator-pseudonyms") : undefined;
    if (operatorPseudonyms && operatorPseudonyms.length > listed * PSEUDONYM_BYTES)
      throw new SluiceError("validation_failed", "the operator's list came back longer than the plan says");
    const noise = joinedNoiseScales(joinedQueryOf(plan), plan.valueScale, rowCapsOf(plan), plan.epsilonMicro);
    const messages = alignJoin({ ring, owners: inputs, noise, ...(operatorPseudonyms ? { operatorPseudonyms } : {}) });
    await Promise.all(
      messages.map((message) =>
        send(plan, peers[message.party] as PinnedPeer, "party-message", 0, encodePartyMessage(ring, message)),
      ),
    );
    return null;
  }

  async function run(plan: JoinPlan, operatorIds?: string[]): Promise<JoinPartial> {
    const me = options.nodeId;
    const isHelper = plan.helper.nodeId === me;
    const index = plan.parts.findIndex((p) => p.task.nodeId === me);
    const mine = isHelper ? plan.helper : plan.parts[index]?.task;
    if (!mine) throw new SluiceError("forbidden", `this plan has no task for node ${me}`);
    if (mine.publicKey !== options.publicKey || mine.encryptionKey !== encryption.publicKey)
      throw new SluiceError("forbidden", "the plan names other keys for this node");
    // Every other party pinned before anything is computed; messages go only to pinned addresses and keys.
    const peers = plan.parts.map((p) =>
      p.task.nodeId === me ? (null as unknown as PinnedPeer) : pins.pinned(p.task, "party"),
    );
    const helper = isHelper ? (null as unknown as PinnedPeer) : pins.pinned(plan.helper, "helper");
    const share = isHelper ? await runHelper(plan, peers) : await runOwner(plan, index, peers, helper, operatorIds);
    return signJoinPartial(
      { jobId: plan.jobId, nodeId: me, partial: share ? encodeVector(share).toString("base64url") : null },
      options.privateKey,
    );
  }

  const limit = bodyLimit({
    maxSize: MAX_JOIN_MESSAGE_BYTES + 8_192,
    onError: (c) => problem(c, 413, "payload_too_large", "a join message is at most 1 GiB"),
  });
  const app = new Hono();
  app.use("/joins", limit);
  app.use("/joins/*", limit);
  app.post("/joins", async (c) => {
    const signed = await jsonBody(c, signedJoinPlanSchema);
    if (!verifyJoinPlan(signed, options.gatewayPublicKey))
      throw new SluiceError("unauthenticated", "the plan is not signed by the gateway this node trusts");
    const { plan } = signed;
    if (Date.parse(plan.expiresAt) <= ctx.now().getTime())
      throw new SluiceError("plan_expired", `the plan expired at ${plan.expiresAt}`);
    let entry = running.get(plan.jobId);
    if (entry && entry.signature !== signed.signature)
      throw new SluiceError("plan_not_approved", `job ${plan.jobId} is already running under another plan`);
    if (!entry) {
      const started = performance.now();
      const context = { requestId: plan.requestId, jobId: plan.jobId, nodeId: options.nodeId };
      logger.info({ ...context, parties: plan.parts.length + 1 }, "join plan accepted");
      const job = run(plan, signed.operatorIds)
        .then((partial) => {
          logger.info({ ...context, ms: Math.round(performance.now() - started) }, "join part returned");
          return partial;
        })
        .finally(() => {
          inbox.forget(plan.jobId);
          setTimeout(() => running.delete(plan.jobId), 60_000).unref();
        });
      job.catch((error: unknown) =>
        logger.warn({ ...context, code: (error as { code?: string }).code, err: error }, "join failed"),
      );
      entry = { signature: signed.signature, job };
      running.set(plan.jobId, entry);
    }
    return c.json(await entry.job);
  });
  app.post("/joins/:jobId/messages", async (c) => {
    const envelope = parseJoinMessage(await rawBody(c));
    if (envelope.header.jobId !== c.req.param("jobId") || envelope.header.to !== options.nodeId)
      throw new SluiceError("validation_failed", "the message is addressed to another job or node");
    // Only a peer this node's owner pinned may leave anything here, signed by its pinned key.
    const sender = pins.list().find((p) => p.nodeId === envelope.header.from);
    if (!sender) throw new SluiceError("forbidden", `${envelope.header.from} is not a peer this node's owner pinned`);
    verifyJoinHeader(envelope, sender.publicKey);
    inbox.deliver(envelope);
    return c.body(null, 204);
  });
  return app;
}
