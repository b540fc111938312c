import { createPrivateKey } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { type ScenarioTerms, signApproval } from "../../lib/approvals.js";
import { generateEd25519KeyPair } from "../../lib/ed25519.js";
import { blindOwn, blindPeer, newBlindingKey } from "../psi/blind.js";
import { PsiPool } from "../psi/pool.js";
import { type PsiPlan, signPsiPlan } from "../psi/protocol.js";
import { createMemoryDataStore, datasetFromRows } from "./datastore.js";
import { createPsiResponder } from "./psi.js";

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
    now: () => new Date(),
  });

  it("counts the intersection, withholds it below k, and ends the session", async () => {
    const signed = signPsiPlan(plan(), gateway.privateKeyPem);
    const ownerSet = await responder.start(signed);
    expect(ownerSet.count).toBe(40);
    const a = newBlindingKey();
    const ownerRaised = blindPeer(Buffer.from(ownerSet.points, "base64"), a);
    // N1 sent three times still counts once: repeats cannot amplify one entity past the noise.
    const mine = blindOwn(["N1", "N2", "N3", "N4", "N5", "N6", "X", "N1", "N1"], a);
    const result = await responder.answer({
      jobId: signed.plan.jobId,
      signature: signed.signature,
      operatorPoints: mine.toString("base64"),
      ownerPointsRaised: ownerRaised.toString("base64"),
    });
    expect(result).toMatchObject({ size: 6, suppressed: false });
    expect(responder.sessions()).toBe(0);

    const small = signPsiPlan(plan(), gateway.privateKeyPem);
    const again = await responder.start(small);
    const b = newBlindingKey();
    const suppressed = await responder.answer({
      jobId: small.plan.jobId,
      signature: small.signature,
      operatorPoints: blindOwn(["N1", "N2"], b).toString("base64"),
      ownerPointsRaised: blindPeer(Buffer.from(again.points, "base64"), b).toString("base64"),
    });
    expect(suppressed).toMatchObject({ size: null, suppressed: true });
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

  it("refuses a second start, an answer without a session or with another signature, and malformed points", async () => {
    const signed = signPsiPlan(plan(), gateway.privateKeyPem);
    await responder.start(signed);
    await expect(responder.start(signed)).rejects.toThrow(/already started/);
    const other = signPsiPlan(plan(), gateway.privateKeyPem);
    await expect(
      responder.answer({ jobId: signed.plan.jobId, signature: other.signature, operatorPoints: "" }),
    ).rejects.toMatchObject({ code: "not_found" });
    await expect(
      responder.answer({
        jobId: signed.plan.jobId,
        signature: signed.signature,
        operatorPoints: Buffer.alloc(31).toString("base64"),
      }),
    ).rejects.toMatchObject({ code: "psi_point_invalid" });
    // A failed answer ends the session too: nothing is left behind.
    expect(responder.sessions()).toBe(0);
  });
});
