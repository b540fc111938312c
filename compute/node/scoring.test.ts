import { createPrivateKey } from "node:crypto";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ScenarioTerms, signApproval } from "../../lib/approvals.js";
import { generateEd25519KeyPair } from "../../lib/ed25519.js";
import { testDirectory } from "../../test/support/test-directory.js";
import { generateHeKeys, type HeKeyFile } from "../he/keys.js";
import { HePool } from "../he/pool.js";
import { decryptScores, encryptScoringModel } from "../he/scoring.js";
import { type EncryptedModel, idsDigest, modelDigest, plainScore, type ScoringModel } from "../he/scoring-model.js";
import { keyDigest, type ScoringPlan, type ScoringRequest, signScoringPlan } from "../scoring/protocol.js";
import { createMemoryDataStore, datasetFromRows } from "./memory-store.js";
import { ScoreQuota } from "./score-quota.js";
import { createScorer, type ScoringSettings } from "./scoring.js";
import { SpendLedger } from "./spend-ledger.js";

const gateway = generateEd25519KeyPair();
const node = generateEd25519KeyPair();
const owner = generateEd25519KeyPair();
const OWNER_ID = "owner_tax";
const DATASET = "ds_tax";
const rows = Array.from({ length: 50 }, (_, i) => ({
  uscc: `ID${String(i).padStart(4, "0")}`,
  employees: 10 + i,
  wages: (1_000 + i * 37.5).toFixed(2),
  tax_paid: 100 + i,
}));
const store = createMemoryDataStore([
  datasetFromRows(
    DATASET,
    [
      { name: "uscc", type: "string", level: 1 },
      { name: "employees", type: "integer", level: 2 },
      { name: "wages", type: "decimal", level: 2 },
      { name: "tax_paid", type: "integer", level: 3 },
    ],
    rows,
  ),
]);
const settings: ScoringSettings = {
  idField: "uscc",
  bounds: { employees: [0, 1_000], wages: [0, 100_000], tax_paid: [0, 10_000] },
  maxScoresPerId: 3,
};
const model: ScoringModel = { features: ["employees", "wages"], weights: [0.5, 0.01], bias: -2 };

function termsFor(overrides: Partial<ScenarioTerms> = {}): ScenarioTerms {
  return {
    scenarioId: "scn_1",
    operatorId: "bank",
    fields: [`${DATASET}.employees`, `${DATASET}.tax_paid`, `${DATASET}.uscc`, `${DATASET}.wages`],
    computeModes: ["he"],
    queryShapes: ["he-score"],
    minGroupSize: 10,
    epsilonPerQueryMicro: 2_000_000,
    epsilonBudgetMicro: 1_000_000_000,
    queryQuota: 1_000_000,
    validFrom: "2020-01-01T00:00:00.000Z",
    validUntil: "2099-01-01T00:00:00.000Z",
    ...overrides,
  };
}

describe("an owner's node scoring encrypted models: it computes only what its owner approved", () => {
  let keys: HeKeyFile;
  let encrypted: EncryptedModel;
  let pool: HePool;
  let jobs = 0;
  beforeAll(async () => {
    keys = await generateHeKeys("ckks-8192");
    encrypted = await encryptScoringModel(keys, model);
    pool = new HePool(1);
  }, 60_000);
  afterAll(async () => {
    await pool.close();
  });

  function scorer(quota = new ScoreQuota(), scoring: Record<string, ScoringSettings> = { [DATASET]: settings }) {
    return createScorer({
      nodeId: "node_tax",
      privateKey: createPrivateKey(node.privateKeyPem),
      publicKey: node.publicKey,
      gatewayPublicKey: gateway.publicKey,
      store,
      scoring,
      quota,
      spend: new SpendLedger(),
      pool: () => pool,
      approval: {
        ownerId: OWNER_ID,
        ownerPublicKeys: [owner.publicKey],
        holds: (id) => id === DATASET,
        levelOf: (_d, field) => ({ uscc: 1, employees: 2, wages: 2, tax_paid: 3 })[field],
        noiseFromLevel: 3,
      },
      now: () => new Date(),
    }).score;
  }

  /** A request as the gateway would send it; `edit` changes the plan before it is signed. */
  function request(
    options: {
      ids?: string[];
      features?: string[];
      epsilonMicro?: number;
      terms?: ScenarioTerms;
      edit?: (plan: ScoringPlan) => void;
      signer?: typeof gateway;
      model?: EncryptedModel;
    } = {},
  ): ScoringRequest {
    const ids = options.ids ?? ["ID0001", "ID0002", "NOPE", "ID0049"];
    const terms = options.terms ?? termsFor();
    const plan: ScoringPlan = {
      version: 2,
      kind: "score",
      jobId: `job_${jobs++}`,
      scenarioId: terms.scenarioId,
      he: { keysId: "hek_1", paramSet: "ckks-8192", publicKeyDigest: keyDigest(keys.publicKey) },
      idField: "uscc",
      features: options.features ?? model.features,
      modelKind: "linear",
      modelDigest: modelDigest(encrypted),
      idsDigest: idsDigest(ids),
      idCount: ids.length,
      epsilonMicro: options.epsilonMicro ?? 0,
      decisionHash: "0".repeat(64),
      terms,
      task: {
        role: "owner",
        nodeId: "node_tax",
        url: "http://node.test",
        publicKey: node.publicKey,
        encryptionKey: "A".repeat(43),
        datasetId: DATASET,
        field: "uscc",
        approval: { kind: "signed", ownerId: OWNER_ID, signature: signApproval(OWNER_ID, terms, owner.privateKeyPem) },
      },
      issuedAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    };
    options.edit?.(plan);
    const signed = signScoringPlan(plan, (options.signer ?? gateway).privateKeyPem);
    return { ...signed, keys: { publicKey: keys.publicKey }, model: options.model ?? encrypted, ids };
  }

  it("scores the ids it holds in the order asked, names the ones it does not, and counts each", async () => {
    const quota = new ScoreQuota();
    const answer = await scorer(quota)(request());
    expect(answer).toMatchObject({ scored: 3, missing: ["NOPE"] });
    const scores = await decryptScores(keys, answer.ciphertexts, 3);
    const expected = [1, 2, 49].map((i) => plainScore(model, [10 + i, 1_000 + i * 37.5]));
    for (const [i, s] of scores.entries()) expect(Math.abs(s - (expected[i] as number))).toBeLessThan(1e-4);
    expect(quota.countOf("scn_1", "ID0001")).toBe(1);
    expect(quota.countOf("scn_1", "NOPE")).toBe(1);
  });

  it("perturbs every feature when the plan asks ε > 0, so one score reads no feature exactly", async () => {
    const ids = rows.map((r) => r.uscc);
    const answer = await scorer()(request({ ids, epsilonMicro: 1_000_000 }));
    const scores = await decryptScores(keys, answer.ciphertexts, ids.length);
    const exact = rows.map((r) => plainScore(model, [r.employees, Number(r.wages)]));
    // Noise of scale (range × 2 features / ε) on each feature: 2,000 employees and 200,000 in wages.
    const off = scores.filter((s, i) => Math.abs(s - (exact[i] as number)) > 1).length;
    expect(off).toBeGreaterThan(40);
  });

  type Case = [string, () => ScoringRequest, RegExp, (() => ReturnType<typeof scorer>)?];
  const cases: Case[] = [
    ["a plan signed by another key", () => request({ signer: generateEd25519KeyPair() }), /not signed by the gateway/],
    [
      "an expired plan",
      () =>
        request({
          edit: (p) => {
            p.expiresAt = new Date(Date.now() - 1).toISOString();
          },
        }),
      /expired/,
    ],
    [
      "a plan for another node",
      () =>
        request({
          edit: (p) => {
            p.task.nodeId = "node_social";
          },
        }),
      /for node node_social/,
    ],
    [
      "a model other than the one signed",
      () => ({
        ...request(),
        model: {
          ...encrypted,
          paramSet: "ckks-8192" as const,
          kind: "linear" as const,
          form: {
            weights: [...(encrypted as { form: { weights: string[] } }).form.weights].reverse(),
            bias: (encrypted as { form: { bias: string } }).form.bias,
          },
        },
      }),
      /not the one the gateway signed/,
    ],
    [
      "ids other than the ones signed",
      () => ({ ...request(), ids: ["ID0001", "ID0002", "NOPE", "ID0003"] }),
      /ids are not/,
    ],
    [
      "scores to be encrypted under another key",
      () => ({ ...request(), keys: { publicKey: `${keys.publicKey.slice(0, -4)}AAAA` } }),
      /keys are not/,
    ],
    [
      "a feature outside the owner's approved fields",
      () => request({ terms: termsFor({ fields: [`${DATASET}.employees`, `${DATASET}.uscc`] }) }),
      /wages is not in the approved fields/,
    ],
    [
      "a level-3 feature without noise",
      () => request({ features: ["employees", "tax_paid"] }),
      /tax_paid is level 3; this node releases it only with differential-privacy noise/,
    ],
    [
      "scoring the owner did not approve",
      () => request({ terms: termsFor({ queryShapes: ["sum"] }) }),
      /did not approve he-score by he/,
    ],
    ["ε above the approved ε per query", () => request({ epsilonMicro: 3_000_000 }), /above the approved ε/],
    [
      "a dataset the owner did not open to scoring",
      () => request(),
      /not opened dataset ds_tax to scoring/,
      () => scorer(new ScoreQuota(), {}),
    ],
    [
      "a feature without bounds",
      () => request(),
      /no bounds for ds_tax.wages/,
      () => scorer(new ScoreQuota(), { [DATASET]: { ...settings, bounds: { employees: [0, 10] } } }),
    ],
    [
      "another id field",
      () =>
        request({
          edit: (p) => {
            p.idField = "employees";
          },
        }),
      /looked up by uscc, not employees/,
    ],
  ];
  it.each(cases)("refuses %s", async (_name, make, reason, build) => {
    const quota = new ScoreQuota();
    await expect((build ?? (() => scorer(quota)))()(make())).rejects.toThrow(reason);
    expect(quota.countOf("scn_1", "ID0001")).toBe(0);
  });

  it("scores an entity at most as often as the owner allows, and remembers it across a restart", async () => {
    const file = path.join(testDirectory("sluice-quota-"), "counts.log");
    const ids = ["ID0010", "ID0011"];
    for (let i = 0; i < settings.maxScoresPerId; i++) await scorer(new ScoreQuota(file))(request({ ids }));
    const restarted = new ScoreQuota(file);
    expect(restarted.countOf("scn_1", "ID0010")).toBe(3);
    await expect(scorer(restarted)(request({ ids: ["ID0012", "ID0011"] }))).rejects.toMatchObject({
      code: "score_quota_exhausted",
    });
    // All or nothing: the id still under its quota was not counted by the refused job.
    expect(restarted.countOf("scn_1", "ID0012")).toBe(0);
    // Another scenario has its own count.
    const other = termsFor({ scenarioId: "scn_2" });
    await expect(scorer(restarted)(request({ ids, terms: other }))).resolves.toMatchObject({ scored: 2 });
  });
});
