import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SluiceApiError } from "../../sdk/index.js";
import { testDatabases } from "../support/databases.js";
import { enterpriseAtBothOwners, KEYS, WAGES } from "../support/demo-rows.js";
import { noiseStandardDeviation } from "../support/noise.js";
import { startWorld, type World } from "../support/world.js";

// Wages are level 2 ("restricted"): once released exactly, two overlapping aggregates gave one
// enterprise's exact wage and 36 counts found any value. Every level-2 aggregate now carries
// differential-privacy noise (classification rules v2), so each attack below is refused without
// ε, and with ε its estimate keeps an error that is a stated multiple of what it looks for, until
// the budget stops it.

const BOUND = 2_000_000_000; // fen; each owner's row is clamped to [0, BOUND]
const PARTIES = 3; // two owners and the helper each add a full sample
/** The error of a difference of two releases, each carrying every party's noise at `scale`. */
const differenceSd = (scale: number) => Math.SQRT2 * noiseStandardDeviation(PARTIES, scale);

const [{ open }] = testDatabases() as [ReturnType<typeof testDatabases>[number]];

interface Released {
  result: {
    value: number | string | null;
    cells: { count: number | null; value: number | string | null; suppressed: boolean; group?: string }[];
    noise: { scalePerParty: { count: number; sum?: number } } | null;
  };
}

describe("differencing level-2 aggregates (wages)", () => {
  let world: World;
  let target: { uscc: string; district: string; wages: number };
  let smallDistrict: string;

  beforeAll(async () => {
    world = await startWorld(await open());
    const victim = enterpriseAtBothOwners(world.gw.dataDir);
    target = { uscc: victim.uscc, district: victim.district, wages: victim.sumOf("wages_fen", "wages_fen", BOUND) };
    const perDistrict = new Map<string, number>();
    for (const row of [...victim.tax, ...victim.social]) {
      perDistrict.set(row.district as string, (perDistrict.get(row.district as string) ?? 0) + 1);
    }
    smallDistrict = [...perDistrict].sort((a, b) => a[1] - b[1])[0]?.[0] as string;
  }, 120_000);
  afterAll(async () => {
    await world?.stop();
  });

  const scenario = (epsilonBudget: number) =>
    world.approvedScenario({
      fields: [...WAGES, ...KEYS],
      queryShapes: ["sum", "count"],
      minGroupSize: 10,
      epsilonPerQuery: 1,
      epsilonBudget,
    });
  const ask = (scenarioId: string, body: Record<string, unknown>) =>
    world
      .client(world.operator)
      .runJob({ scenarioId, queryShape: "sum", fields: WAGES, ...body } as never) as unknown as Promise<Released>;
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => "released",
      (error: unknown) => {
        expect(error).toBeInstanceOf(SluiceApiError);
        const { status, problem } = error as SluiceApiError;
        return `${status} ${String((problem.details as { rule?: string } | undefined)?.rule ?? problem.type)}`;
      },
    );
  const noisySum = (filters: unknown[] = []) => ({ epsilon: 1, bounds: { min: 0, max: BOUND }, filters });

  it("refuses every exact level-2 aggregate: a sum, a filtered sum, a count, a grouped sum", async () => {
    const scenarioId = await scenario(100);
    for (const body of [
      {},
      { filters: [{ field: "uscc", op: "!=", value: target.uscc }] },
      { queryShape: "count" },
      { groupBy: { field: "district", values: [target.district] } },
    ]) {
      expect(await refusal(ask(scenarioId, body))).toBe("403 level-2-dp");
    }
  });

  it("two-query differencing (all, then all but one): the difference's error is many times the wage", async () => {
    const scenarioId = await scenario(2);
    const all = await ask(scenarioId, noisySum());
    const allButOne = await ask(scenarioId, noisySum([{ field: "uscc", op: "!=", value: target.uscc }]));
    const scale = all.result.noise?.scalePerParty.sum as number;
    expect(scale).toBe(allButOne.result.noise?.scalePerParty.sum);
    // The difference carries 2 answers × 3 parties of noise: its standard deviation, against the wage.
    const errorSd = differenceSd(scale);
    expect(errorSd).toBeGreaterThan(5 * target.wages);
    // And the budget is spent: a third query, which a better estimate would need, is refused.
    expect(await refusal(ask(scenarioId, noisySum()))).toBe("403 scenario-epsilon-budget");
  });

  it("Denning's tracker (district, then district but the target): both sets pass k, the noise does not", async () => {
    const scenarioId = await scenario(2);
    const tracker = { field: "district", op: "=", value: target.district };
    const padded = await ask(scenarioId, noisySum([tracker]));
    const trimmed = await ask(scenarioId, noisySum([tracker, { field: "uscc", op: "!=", value: target.uscc }]));
    // Both query sets are large: k alone would have released both, exactly, before.
    expect(padded.result.cells[0]?.suppressed).toBe(false);
    expect(trimmed.result.cells[0]?.suppressed).toBe(false);
    const errorSd = differenceSd(padded.result.noise?.scalePerParty.sum as number);
    expect(errorSd).toBeGreaterThan(5 * target.wages);
  });

  it("a binary search by counts (is the wage at least x?): each answer's noise hides the one row, and ε runs out long before 36", async () => {
    const scenarioId = await scenario(10);
    let threshold = BOUND / 2;
    let answered = 0;
    let stop = "";
    for (let step = 0; step < 36 && !stop; step++) {
      const above = [{ field: "wages_fen", op: ">=", value: Math.round(threshold) }];
      const count = (filters: unknown[]) => ask(scenarioId, { queryShape: "count", epsilon: 1, filters });
      try {
        const withTarget = await count(above);
        const withoutTarget = await count([...above, { field: "uscc", op: "!=", value: target.uscc }]);
        answered += 2;
        // One row's difference under the counts' noise (scale 2 per party at ε 1): σ > 3 rows.
        const scale = withTarget.result.noise?.scalePerParty.count as number;
        expect(differenceSd(scale)).toBeGreaterThan(3);
        const difference = Number(withTarget.result.value ?? 0) - Number(withoutTarget.result.value ?? 0);
        threshold += (difference >= 0.5 ? 1 : -1) * (BOUND / 2 ** (step + 2));
      } catch (error) {
        stop = await refusal(Promise.reject(error));
      }
    }
    expect(stop).toBe("403 scenario-epsilon-budget");
    expect(answered).toBe(10); // ε 10 at 1 a query: 5 of the 36 steps
  });

  it("the complement of a suppressed cell (total minus the released cells): the total's noise covers it", async () => {
    const scenarioId = await scenario(2);
    const groups = await ask(scenarioId, {
      ...noisySum(),
      groupBy: { field: "district", values: [smallDistrict, target.district] },
    });
    const total = await ask(
      scenarioId,
      noisySum([{ field: "district", op: "in", values: [smallDistrict, target.district] }]),
    );
    const scale = total.result.noise?.scalePerParty.sum as number;
    // Released cells plus the total: at least two answers' noise stands between the attacker and the cell.
    const errorSd = differenceSd(scale);
    const released = groups.result.cells.filter((c) => !c.suppressed);
    expect(released.length).toBeGreaterThan(0);
    expect(errorSd).toBeGreaterThan(5 * 2 * BOUND); // more than any one enterprise's wages, clamped
  });

  it("many noisy repeats of one sum: the budget refuses the repeats averaging would need", async () => {
    const scenarioId = await scenario(5);
    const answers: number[] = [];
    let stop = "";
    for (let i = 0; i < 100 && !stop; i++) {
      await ask(scenarioId, noisySum([{ field: "uscc", op: "!=", value: target.uscc }])).then(
        (job) => answers.push(Number(job.result.value)),
        async (error: unknown) => {
          stop = await refusal(Promise.reject(error));
        },
      );
    }
    expect(stop).toBe("403 scenario-epsilon-budget");
    expect(answers).toHaveLength(5);
    expect(new Set(answers).size).toBeGreaterThan(1);
  });
});
