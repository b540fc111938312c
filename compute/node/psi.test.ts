import { createPrivateKey } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { type ScenarioTerms, signApproval } from "../../lib/approvals.js";
import { generateEd25519KeyPair } from "../../lib/ed25519.js";
import { blindOwn, blindPeer, newBlindingKey } from "../psi/blind.js";
import { PsiPool } from "../psi/pool.js";
import { type PsiPlan, signPsiPlan } from "../psi/protocol.js";
import { BUCKETS, PointBuckets, ScratchDir } from "../psi/spill.js";
import { createMemoryDataStore, datasetFromRows } from "./memory-store.js";
import { createPeerPins } from "./peers.js";
import { createPsiResponder } from "./psi.js";
import { SpendLedger } from "./spend-ledger.js";

const gateway = generateEd25519KeyPair();
const node = generateEd25519KeyPair();
const owner = generateEd25519KeyPair();
const DATASET = "ds_tax";
const store = createMemoryDataStore([
  datasetFromRows(
    DATASET,
    [
      { name: "name", type: "string", level: 1 },
      { name: "secret_name", type: "string", level: 3 },
    ],
    Array.from({ length: 40 }, (_, i) => ({ name: `N${i}`, secret_name: `S${i}` })),
  ),
]);

function terms(overrides: Partial<ScenarioTerms> = {}): ScenarioTerms {
  return {
    scenarioId: "scn_psi",
    operatorId: "bank",
    fields: [`${DATASET}.name`, `${DATASET}.secret_name`],
    computeModes: ["psi"],
    queryShapes: ["psi-size"],
    minGroupSize: 5,
    epsilonPerQueryMicro: 1_000_000,
    epsilonBudgetMicro: 1_000_000_000,
    queryQuota: 1_000_000,
    validFrom: "2020-01-01T00:00:00.000Z",
    validUntil: "2099-01-01T00:00:00.000Z",
    ...overrides,
  };
}

let jobs = 0;
function plan(overrides: Partial<PsiPlan> = {}, scenario = terms()): PsiPlan {
  return {
    version: 2,
    kind: "psi",
    jobId: `job_${jobs++}`,
    scenarioId: scenario.scenarioId,
    idField: "name",
    idKind: "text",
    output: "size",
    epsilonMicro: 0,
    minGroupSize: 5,
    decisionHash: "0".repeat(64),
    terms: scenario,
    task: {
      role: "owner",
      nodeId: "node_tax",
      url: "http://node.test",
      publicKey: node.publicKey,
      encryptionKey: "A".repeat(43),
      datasetId: DATASET,
      field: "name",
      approval: {
        kind: "signed",
        ownerId: "owner_tax",
        signature: signApproval("owner_tax", scenario, owner.privateKeyPem),
      },
    },
    issuedAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + 60_000).toISOString(),
    ...overrides,
  };
}

/** Points in the order the operator's SDK sends them back: bucket by bucket, each sorted. */
function sortPoints(points: Buffer): Buffer {
  const scratch = new ScratchDir();
  try {
    const set = new PointBuckets(scratch, "sort", 32);
    set.append(points);
    return Buffer.concat(Array.from({ length: BUCKETS }, (_, b) => set.sortedBucket(b)));
  } finally {
    scratch.remove();
  }
}

describe("an owner's node in a PSI job: it answers only what its owner approved", () => {
  const pool = new PsiPool(1);
  afterAll(async () => {
    await pool.close();
  });
  const responder = createPsiResponder({
    nodeId: "node_tax",
    privateKey: createPrivateKey(node.privateKeyPem),
    publicKey: node.publicKey,
    gatewayPublicKey: gateway.publicKey,
    store,
    pool: () => pool,
    approval: {
      ownerId: "owner_tax",
      ownerPublicKeys: [owner.publicKey],
      holds: (id) => id === DATASET,
      levelOf: (_d, field) => (field === "secret_name" ? 3 : 1),
      noiseFromLevel: 3,
    },
    spend: new SpendLedger(),
    pins: createPeerPins([]),
    now: () => new Date(),
  });

  /** The operator's side of a size, in one chunk each way: its points, and the owner's raised and sorted. */
  async function size(signed: ReturnType<typeof signPsiPlan>, operatorIds: string[]) {
    const request = { jobId: signed.plan.jobId, signature: signed.signature };
    const ownerSet = await responder.start(signed);
    const a = newBlindingKey();
    const page = await responder.page({ ...request, index: 0 });
    const ownerRaised = blindPeer(Buffer.from(page.points, "base64"), a);
    await responder.operatorPoints({ ...request, index: 0, points: blindOwn(operatorIds, a).toString("base64") });
    await responder.raisedPoints({ ...request, index: 0, points: sortPoints(ownerRaised).toString("base64") });
    return {
      ownerSet,
      result: await responder.answer({ ...request, operatorChunks: 1, operatorCount: operatorIds.length }),
    };
  }

  it("counts the intersection, withholds it below k, and ends the session", async () => {
    // N1 sent three times still counts once: repeats cannot amplify one entity past the noise.
    const { ownerSet, result } = await size(signPsiPlan(plan(), gateway.privateKeyPem), [
      "N1",
      "N2",
      "N3",
      "N4",
      "N5",
      "N6",
      "X",
      "N1",
      "N1",
    ]);
    expect(ownerSet.count).toBe(40);
    expect(result).toMatchObject({ size: 6, suppressed: false });
    expect(responder.sessions()).toBe(0);
    const suppressed = await size(signPsiPlan(plan(), gateway.privateKeyPem), ["N1", "N2"]);
    expect(suppressed.result).toMatchObject({ size: null, suppressed: true });
  });

  it.each([
    [
      "a plan signed by another key",
      () => signPsiPlan(plan(), generateEd25519KeyPair().privateKeyPem),
      /not signed by the gateway/,
    ],
    [
      "an expired plan",
      () => signPsiPlan(plan({ expiresAt: new Date(Date.now() - 1).toISOString() }), gateway.privateKeyPem),
      /expired/,
    ],
    [
      "membership the owner did not approve",
      () => signPsiPlan(plan({ output: "membership" }), gateway.privateKeyPem),
      /did not approve psi-membership by psi/,
    ],
    [
      "an id column the owner did not approve",
      () => signPsiPlan(plan({}, terms({ fields: [`${DATASET}.secret_name`] })), gateway.privateKeyPem),
      /ds_tax.name is not in the approved fields/,
    ],
    [
      "a level-3 column without noise",
      () => signPsiPlan(plan({ idField: "secret_name" }), gateway.privateKeyPem),
      /secret_name is level 3/,
    ],
    [
      "k below the approved",
      () => signPsiPlan(plan({ minGroupSize: 1 }), gateway.privateKeyPem),
      /k 1 is below the approved 5/,
    ],
  ])("refuses %s", async (_name, make, reason) => {
    await expect(responder.start(make())).rejects.toThrow(reason);
    expect(responder.sessions()).toBe(0);
  });

  it("refuses a second start, a chunk twice, an incomplete upload, a request without a session, and malformed points", async () => {
    const signed = signPsiPlan(plan(), gateway.privateKeyPem);
    const request = { jobId: signed.plan.jobId, signature: signed.signature };
    await responder.start(signed);
    await expect(responder.start(signed)).rejects.toThrow(/already started/);
    const other = signPsiPlan(plan(), gateway.privateKeyPem);
    await expect(
      responder.page({ jobId: signed.plan.jobId, signature: other.signature, index: 0 }),
    ).rejects.toMatchObject({
      code: "not_found",
    });
    const a = newBlindingKey();
    const points = blindOwn(["N1", "N2"], a).toString("base64");
    await responder.operatorPoints({ ...request, index: 0, points });
    await expect(responder.operatorPoints({ ...request, index: 0, points })).rejects.toMatchObject({
      code: "psi_chunk_repeated",
    });
    // Chunk 1 never came: the upload is incomplete, and the failed answer ends the session.
    await expect(responder.answer({ ...request, operatorChunks: 2, operatorCount: 3 })).rejects.toThrow(/incomplete/);
    expect(responder.sessions()).toBe(0);

    const again = signPsiPlan(plan(), gateway.privateKeyPem);
    const next = { jobId: again.plan.jobId, signature: again.signature };
    await responder.start(again);
    await expect(
      responder.operatorPoints({ ...next, index: 0, points: Buffer.alloc(31).toString("base64") }),
    ).rejects.toMatchObject({ code: "psi_point_invalid" });
    // A failed step ends the session too: nothing is left behind.
    expect(responder.sessions()).toBe(0);

    const third = signPsiPlan(plan(), gateway.privateKeyPem);
    await responder.start(third);
    await expect(responder.page({ jobId: third.plan.jobId, signature: third.signature, index: 1 })).rejects.toThrow(
      /past the owner's 40 entities/,
    );
    expect(responder.sessions()).toBe(0);
  });
});
