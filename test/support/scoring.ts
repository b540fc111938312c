import { TAX } from "./demo-rows.js";
import { YEAR_WINDOW } from "./gateway.js";
import type { World } from "./world.js";

const FIELDS = ["uscc", "employees", "wages_fen", "tax_paid_fen"].map((f) => `${TAX.dataset}.${f}`);

/** A scenario over the tax bureau's records, for scoring only, approved by the tax bureau alone. */
export async function scoringScenario(world: World, overrides: Record<string, unknown> = {}): Promise<string> {
  const scenario = await world.client(world.operator).proposeScenario({
    purpose: "Score consenting loan applicants on their tax records",
    fields: FIELDS,
    computeModes: ["he"],
    queryShapes: ["he-score"],
    minGroupSize: 20,
    epsilonPerQuery: 2,
    epsilonBudget: 100,
    queryQuota: 100,
    pricePerQueryFen: 2_000,
    platformShareBasisPoints: 1000,
    ...YEAR_WINDOW,
    ...overrides,
  });
  const tax = world.owners.find((o) => o.demo.key === TAX.owner);
  await world.client(tax?.key).decideScenario(scenario.id, { decision: "approve" });
  return scenario.id;
}

// Wages in fen reach 10^10: weights in the same unit keep the scores small, as CKKS asks (|score| < 2^23).
