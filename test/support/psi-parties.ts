import { createPrivateKey } from "node:crypto";
import { deriveEncryptionKeys } from "../../compute/mpc/channel.js";
import { addInRing, fromRing } from "../../compute/mpc/ring.js";
import type { NodeDataStore } from "../../compute/node/datastore.js";
import { type Column, createMemoryDataStore, type LocalDataset } from "../../compute/node/memory-store.js";
import { createPeerPins, type PinnedPeer } from "../../compute/node/peers.js";
import { createPsiResponder } from "../../compute/node/psi.js";
import { createPsiHelper } from "../../compute/node/psi-helper.js";
import { SpendLedger } from "../../compute/node/spend-ledger.js";
import type { PsiPool } from "../../compute/psi/pool.js";
import { type PsiPlan, signPsiPlan } from "../../compute/psi/protocol.js";
import { type ScenarioTerms, signApproval } from "../../lib/approvals.js";
import { generateEd25519KeyPair } from "../../lib/ed25519.js";
import type { SluiceClient } from "../../sdk/client.js";

// The owner's node (its PSI responder over an in-memory dataset) and the helper, driven by the
// operator's real SDK code through a client that calls them directly instead of through the
// gateway's HTTP relay: for the benchmark (the protocol's work on both sides, not the network) and
// for tests of sets larger than a chunk.

export const BENCH_DATASET = "ds_bench";

/** The owner's dataset as its node holds it: an id column and an integer column. */
export function psiDataset(ids: string[], values: ArrayLike<number> = new Float64Array(ids.length)): LocalDataset {
  return {
    id: BENCH_DATASET,
    rowCount: ids.length,
    columns: new Map<string, Column>([
      [
        "id",
        {
          spec: { name: "id", type: "string", level: 1 },
          codes: Int32Array.from({ length: ids.length }, (_, i) => i),
          dictionary: ids,
        },
      ],
      ["value", { spec: { name: "value", type: "integer", level: 1 }, values: Float64Array.from(values) }],
    ]),
  };
}

/** A node's pinned form, as its peers' configurations hold it. */
export const pinOf = (task: { nodeId: string; publicKey: string; encryptionKey: string; url: string }): PinnedPeer => ({
  nodeId: task.nodeId,
  publicKey: task.publicKey,
  encryptionKey: task.encryptionKey,
  url: task.url,
});

/**
 * The platform's helper node, trusting plans the gateway with `gatewayPublicKey` signs and the
 * owners' nodes it pins, and its task in a plan.
 */
export function psiHelperNode(gatewayPublicKey: string, owners: PinnedPeer[] = []) {
  const keys = generateEd25519KeyPair();
  const encryption = deriveEncryptionKeys(createPrivateKey(keys.privateKeyPem));
  const pinned = [...owners];
  const helper = createPsiHelper({
    nodeId: "node_helper",
    publicKey: keys.publicKey,
    privateKey: createPrivateKey(keys.privateKeyPem),
    encryption,
    gatewayPublicKey,
    pins: { pinned: (party, as) => createPeerPins(pinned).pinned(party, as), list: () => pinned },
    now: () => new Date(),
  });
  const task = {
    role: "helper" as const,
    nodeId: "node_helper",
    url: "http://helper.invalid",
    publicKey: keys.publicKey,
    encryptionKey: encryption.publicKey,
  };
  /** Pins another owner's node at the helper. */
  const pin = (owner: PinnedPeer) => pinned.push(owner);
  return { helper, task, pin };
}

/** The owner's node over `dataset` (or any store holding BENCH_DATASET) and the helper. */
export function psiParties(dataset: LocalDataset | NodeDataStore, pool: PsiPool) {
  const gateway = generateEd25519KeyPair();
  const node = generateEd25519KeyPair();
  const owner = generateEd25519KeyPair();
  const ownerTask = {
    nodeId: "node_owner",
    url: "http://owner.invalid",
    publicKey: node.publicKey,
    encryptionKey: deriveEncryptionKeys(createPrivateKey(node.privateKeyPem)).publicKey,
  };
  const { helper, task: helperTask } = psiHelperNode(gateway.publicKey, [pinOf(ownerTask)]);
  const terms: ScenarioTerms = {
    scenarioId: "scn_bench",
    operatorId: "bench",
    fields: [`${BENCH_DATASET}.id`, `${BENCH_DATASET}.value`],
    computeModes: ["psi"],
    queryShapes: ["psi-size", "psi-membership", "psi-sum"],
    minGroupSize: 1,
    epsilonPerQueryMicro: 1_000_000,
    epsilonBudgetMicro: 1_000_000_000,
    queryQuota: 1_000_000,
    validFrom: "2020-01-01T00:00:00.000Z",
    validUntil: "2099-01-01T00:00:00.000Z",
  };
  const responder = createPsiResponder({
    nodeId: "node_owner",
    privateKey: createPrivateKey(node.privateKeyPem),
    publicKey: node.publicKey,
    gatewayPublicKey: gateway.publicKey,
    store: "identifiers" in dataset ? dataset : createMemoryDataStore([dataset]),
    pool: () => pool,
    approval: {
      ownerId: "owner",
      ownerPublicKeys: [owner.publicKey],
      holds: (id) => id === BENCH_DATASET,
      levelOf: () => 1,
      noiseFromLevel: 2,
    },
    spend: new SpendLedger(),
    pins: createPeerPins([pinOf(helperTask)]),
    now: () => new Date(),
  });
  let jobs = 0;

  function planOf(output: "size" | "membership" | "sum", operatorKey = ""): PsiPlan {
    return {
      version: 2,
      kind: "psi",
      jobId: `job_bench_${jobs++}`,
      scenarioId: terms.scenarioId,
      idField: "id",
      idKind: "text",
      output,
      ...(output === "sum"
        ? {
            sum: { valueField: "value", valueScale: 1 as const, min: 0, max: 1_000_000, operatorKey },
            helper: helperTask,
          }
        : {}),
      epsilonMicro: 0,
      minGroupSize: 1,
      decisionHash: "0".repeat(64),
      terms,
      task: {
        role: "owner",
        ...ownerTask,
        datasetId: BENCH_DATASET,
        field: "id",
        approval: { kind: "signed", ownerId: "owner", signature: signApproval("owner", terms, owner.privateKeyPem) },
      },
      issuedAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 6 * 3_600_000).toISOString(),
    };
  }

  /** A client whose PSI calls reach the owner's responder and the helper directly. */
  function client(): SluiceClient {
    let signed: ReturnType<typeof signPsiPlan>;
    let seed: Awaited<ReturnType<typeof responder.start>>["helperSeed"];
    const request = () => ({ jobId: signed.plan.jobId, signature: signed.signature });
    const direct = {
      startPsi: async (input: { output?: "size" | "membership" | "sum"; value?: { operatorKey: string } }) => {
        signed = signPsiPlan(planOf(input.output ?? "size", input.value?.operatorKey), gateway.privateKeyPem);
        const set = await responder.start(signed);
        seed = set.helperSeed;
        return {
          jobId: signed.plan.jobId,
          status: "running",
          expiresAt: signed.plan.expiresAt,
          chunkSize: set.chunkSize,
          ownerSet: { count: set.count, invalid: set.invalid, chunks: Math.ceil(set.count / set.chunkSize) },
        };
      },
      psiPage: (_jobId: string, _owner: number, index: number) => responder.page({ ...request(), index }),
      sendPsiPoints: (_jobId: string, chunk: { index: number; points: string }) =>
        responder.operatorPoints({ ...request(), ...chunk }),
      sendPsiRaisedPoints: (_jobId: string, _owner: number, chunk: { index: number; points: string }) =>
        responder.raisedPoints({ ...request(), ...chunk }),
      answerPsi: async (_jobId: string, input: { operatorChunks: number; operatorCount: number }) => {
        const reply = await responder.answer({ ...request(), ...input });
        return {
          jobId: signed.plan.jobId,
          status: reply.answerChunks === undefined ? "succeeded" : "running",
          result: { size: reply.size, suppressed: reply.suppressed, noise: {} },
          usageRecordId: "none",
          ...(reply.answerChunks === undefined ? {} : { answerChunks: reply.answerChunks }),
        };
      },
      psiAnswerPage: (_jobId: string, index: number) => responder.answerPage({ ...request(), index }),
      releasePsiSum: async (_jobId: string, input: { matched: string; operatorPartial: string }) => {
        const release = helper.sum({ ...signed, seed: seed as NonNullable<typeof seed>, matched: input.matched });
        const sum = fromRing(addInRing(BigInt(input.operatorPartial), BigInt(release.partial as string)));
        return {
          jobId: signed.plan.jobId,
          status: "succeeded",
          result: { size: release.matched, suppressed: release.suppressed, sum: Number(sum), noise: {} },
          usageRecordId: "none",
        };
      },
      cancelPsi: async () => ({
        jobId: signed.plan.jobId,
        status: "failed",
        error: "cancelled",
        ownerSessionEnded: true,
      }),
    };
    return direct as unknown as SluiceClient;
  }

  return { client };
}
