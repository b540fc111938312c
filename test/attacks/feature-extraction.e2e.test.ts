import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  decryptScoringResult,
  encryptScoringModel,
  generateHeKeys,
  type HeKeyFile,
  type ScoringModel,
  type SluiceApiError,
} from "../../sdk/index.js";
import { testDatabases } from "../support/databases.js";
import { demoRows, TAX } from "../support/demo-rows.js";
import { scoringScenario } from "../support/scoring.js";
import { startWorld, type World } from "../support/world.js";

const [{ open }] = testDatabases() as [ReturnType<typeof testDatabases>[number]];

// The tax bureau's node clamps tax paid to [0, 2·10^9] fen and, for a job at ε, adds discrete
// Laplace noise of scale range × features / ε to it: with one feature at ε = 2, b = 10^9 fen.
const RANGE = 2_000_000_000;
const EPSILON = 2;
const B = (RANGE * 1) / EPSILON;
const MAX_SCORES_PER_ID = 12;

/**
 * The feature-extraction attack (compute/README.md): an operator scores with a "model" that is a
 * unit vector, so each score is one feature of one entity. The owner cannot see the model, so the
 * bound lies in what it computes on: noisy features, so many times per entity.
 */
describe("attack: reading a feature through a unit-vector model", () => {
  let world: World;
  let keys: HeKeyFile;
  let keysId: string;
  let scenarioId: string;
  let truth: Map<string, number>;

  beforeAll(async () => {
    world = await startWorld(await open());
    keys = await generateHeKeys("ckks-8192");
    keysId = (await world.client(world.operator).registerHeKeys(keys)).id;
    scenarioId = await scoringScenario(world);
    truth = new Map(
      demoRows(world.gw.dataDir, TAX.owner, TAX.dataset).map((r) => [r.uscc as string, Number(r.tax_paid_fen)]),
    );
  }, 120_000);
  afterAll(async () => {
    await world?.stop();
  });

  async function read(ids: string[], weight: number) {
    const model: ScoringModel = { features: ["tax_paid_fen"], weights: [weight], bias: 0 };
    const job = await world.client(world.operator).scoreRecords({
      scenarioId,
      heKeysId: keysId,
      datasetId: TAX.dataset,
      idField: "uscc",
      features: model.features,
      epsilon: EPSILON,
      ids,
      model: await encryptScoringModel(keys, model),
    });
    const { scores } = await decryptScoringResult(job.result, keys);
    return scores.map(({ id, score }) => ({ id, estimate: score / weight }));
  }

  const meanAbsError = (estimates: { id: string; estimate: number }[]) =>
    estimates.reduce((sum, e) => sum + Math.abs(e.estimate - (truth.get(e.id) as number)), 0) / estimates.length;

  it("reads each feature only through noise of the owner's scale, however the model is scaled", async () => {
    const ids = [...truth.keys()].slice(0, 200);
    // Laplace(b) has mean absolute value b; over 200 entities the sample mean is within ±0.07·b of it.
    // (Weights keep |score| below CKKS's 2^23 for features of 10^9 and more: a larger score wraps.)
    const plain = meanAbsError(await read(ids.slice(0, 100), 1e-6));
    // Scaling the model up does not scale the noise down: the noise is on the feature, not the score.
    const scaled = meanAbsError(await read(ids.slice(100), 1e-3));
    for (const error of [plain, scaled]) {
      expect(error).toBeGreaterThan(0.3 * B);
      expect(error).toBeLessThan(2 * B);
    }
    // For scale: the noise is larger than what a typical demo enterprise pays.
    const paid = [...truth.values()];
    expect(paid.reduce((a, b) => a + b, 0) / paid.length).toBeLessThan(B);
  });

  it("stops averaging: each entity is scored at most as often as the owner allows", async () => {
    const ids = [...truth.keys()].slice(200, 208);
    const reads: { id: string; estimate: number }[][] = [];
    for (let i = 0; i < MAX_SCORES_PER_ID; i++) reads.push(await read(ids, 1e-3));
    const refused = await read(ids, 1e-3).then(
      () => null,
      (e: SluiceApiError) => e,
    );
    expect(refused?.status).toBe(409);
    expect(String(refused?.problem.type)).toMatch(/score-quota-exhausted/);
    // The best the operator can do is average its twelve reads: √2·b/√12 ≈ 0.41·b of noise remains.
    const averaged = ids.map((id, i) => ({
      id,
      estimate: reads.reduce((sum, r) => sum + (r[i]?.estimate as number), 0) / reads.length,
    }));
    expect(meanAbsError(averaged)).toBeGreaterThan(0.01 * B);
    // The refused job charged nothing.
    const scenario = await world.client(world.operator).getScenario(scenarioId);
    expect(scenario.queriesUsed).toBe(2 + MAX_SCORES_PER_ID);
  });
});
