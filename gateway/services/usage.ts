import { and, eq, inArray, lt, lte, sql } from "drizzle-orm";
import { type DbOrTx, scenarios } from "../../store/index.js";

/**
 * Takes one query and `epsilonMicro` of ε from a scenario in a single conditional update, so two
 * requests that together exceed the quota or the budget can never both pass. Returns false when
 * nothing is left.
 */
export async function reserveUsage(db: DbOrTx, scenarioId: string, epsilonMicro: number): Promise<boolean> {
  const reserved = await db
    .update(scenarios)
    .set({
      queriesUsed: sql`${scenarios.queriesUsed} + 1`,
      epsilonSpentMicro: sql`${scenarios.epsilonSpentMicro} + ${epsilonMicro}`,
    })
    .where(
      and(
        eq(scenarios.id, scenarioId),
        inArray(scenarios.status, ["active", "approved"]),
        lt(scenarios.queriesUsed, scenarios.queryQuota),
        lte(sql`${scenarios.epsilonSpentMicro} + ${epsilonMicro}`, scenarios.epsilonBudgetMicro),
      ),
    )
    .returning({ id: scenarios.id });
  return reserved.length === 1;
}

/** Gives back a reservation whose job produced nothing (a node failed before any result existed). */
export async function releaseUsage(db: DbOrTx, scenarioId: string, epsilonMicro: number): Promise<void> {
  await db
    .update(scenarios)
    .set({
      queriesUsed: sql`greatest(${scenarios.queriesUsed} - 1, 0)`,
      epsilonSpentMicro: sql`greatest(${scenarios.epsilonSpentMicro} - ${epsilonMicro}, 0)`,
    })
    .where(eq(scenarios.id, scenarioId));
}
