import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SluiceApiError } from "../../sdk/index.js";
import { testDatabases } from "../support/databases.js";
import { enterpriseAtBothOwners, KEYS, WAGES } from "../support/demo-rows.js";
import { startWorld, type World } from "../support/world.js";

// An operator who is allowed to query tries to learn one enterprise's tax from aggregates. Each attack
// must fail to single the enterprise out, or be refused, and each test shows which of the two stops it.

const SECRET = ["ds_enterprise_tax.tax_paid_fen", "ds_social_insurance.contributions_fen"];
const BOUND = 500_000_000; // fen; every value is clamped to [0, BOUND]

const [{ open }] = testDatabases() as [ReturnType<typeof testDatabases>[number]];

describe("privacy attacks by an authorised operator", () => {
  let world: World;
  let target: { uscc: string; district: string; secret: number };

  beforeAll(async () => {
    world = await startWorld(await open());
    const victim = enterpriseAtBothOwners(world.gw.dataDir);
    target = {
      uscc: victim.uscc,
      district: victim.district,
      secret: victim.sumOf("tax_paid_fen", "contributions_fen", BOUND),
    };
  });
  afterAll(async () => {
    await world?.stop();
  });

  const scenario = (overrides: Record<string, unknown>) =>
    world.approvedScenario({
      fields: [...SECRET, ...WAGES, ...KEYS],
      queryShapes: ["sum", "count"],
      minGroupSize: 20,
      ...overrides,
    });
  const refusedWith = (error: unknown) => {
    expect(error).toBeInstanceOf(SluiceApiError);
    return (error as SluiceApiError).status;
  };

  it("differencing (all enterprises, then all but one): the noise swamps the one enterprise, and the budget stops the repeats", async () => {
    const scenarioId = await scenario({ epsilonPerQuery: 1, epsilonBudget: 4 });
    const sum = (filters: unknown[]) =>
      world.client(world.operator).runJob({
        scenarioId,
        queryShape: "sum",
        fields: SECRET,
        epsilon: 1,
        bounds: { min: 0, max: BOUND },
        filters: filters as never,
      });
    const estimates: number[] = [];
    let scalePerParty = 0;
    for (let pair = 0; pair < 2; pair++) {
      const all = await sum([]);
      const allButOne = await sum([{ field: "uscc", op: "!=", value: target.uscc }]);
      estimates.push(Number(all.result.value) - Number(allButOne.result.value));
      scalePerParty = (all.result.noise as unknown as { scalePerParty: { sum: number } }).scalePerParty.sum;
    }
    // A fifth query would exceed ε 4: the budget refuses it.
    expect(refusedWith(await sum([]).catch((e: unknown) => e))).toBe(403);

    // Each answer carries one discrete Laplace sample (variance ≈ 2·scale²) from each of 3 parties; the
    // attacker's averaged difference of 2 pairs has a standard deviation of √(2·3·2·scale² / 2).
    const estimatorSd = Math.sqrt((2 * 3 * 2 * scalePerParty ** 2) / 2);
    expect(estimatorSd).toBeGreaterThan(5 * target.secret);
    const estimate = estimates.reduce((a, b) => a + b, 0) / estimates.length;
    expect(Number.isFinite(estimate)).toBe(true);
  });

  it("small group (a filter down to one enterprise): the cell is suppressed, with or without noise", async () => {
    // k = 200: a count of 1 plus noise (σ ≈ 10) never reaches it.
    const scenarioId = await scenario({ epsilonPerQuery: 1, epsilonBudget: 10, minGroupSize: 200 });
    const lonely = await world.client(world.operator).runJob({
      scenarioId,
      queryShape: "sum",
      fields: SECRET,
      epsilon: 1,
      bounds: { min: 0, max: BOUND },
      filters: [{ field: "uscc", op: "=", value: target.uscc }],
      groupBy: { field: "district", values: [target.district, "999999"] },
    });
    expect(lonely.result.cells.every((c) => c.suppressed && c.value === null && c.count === null)).toBe(true);
    expect(lonely.result.value).toBeNull();
    expect(JSON.stringify(lonely.result)).not.toContain(String(target.secret));

    // Level-1 headcounts need no noise under the rules, so the count is exact; k still suppresses it.
    const HEADCOUNTS = ["ds_enterprise_tax.employees", "ds_social_insurance.insured_employees"];
    const plain = await scenario({
      fields: [...HEADCOUNTS, ...KEYS],
      epsilonPerQuery: 0,
      epsilonBudget: 0,
      minGroupSize: 10,
    });
    const exact = await world.client(world.operator).runJob({
      scenarioId: plain,
      queryShape: "sum",
      fields: HEADCOUNTS,
      filters: [{ field: "uscc", op: "=", value: target.uscc }],
    });
    expect(exact.result).toMatchObject({ value: null, suppressedCells: 1, cells: [{ suppressed: true, value: null }] });
  });

  it("reconstruction by averaging many noisy answers: the budget refuses the queries averaging would need", async () => {
    const scenarioId = await scenario({ epsilonPerQuery: 0.5, epsilonBudget: 3 });
    const count = () =>
      world.client(world.operator).runJob({
        scenarioId,
        queryShape: "count",
        fields: SECRET,
        epsilon: 0.5,
        filters: [{ field: "district", op: "=", value: target.district }],
      });
    const answers: number[] = [];
    let refusal: unknown;
    for (let i = 0; i < 50 && refusal === undefined; i++) {
      await count().then(
        (job) => answers.push(Number(job.result.value)),
        (error: unknown) => {
          refusal = error;
        },
      );
    }
    expect(answers).toHaveLength(6); // ε 3 / 0.5 per query
    expect(refusedWith(refusal)).toBe(403);
    // Six answers leave the count's noise at scale 2·2/0.5 = 8 per party: an average over 6 answers of
    // 3 parties still has a standard deviation of √(3·2·64/6) = 8 rows, far from an exact count.
    expect(new Set(answers).size).toBeGreaterThan(1);
  });
});
