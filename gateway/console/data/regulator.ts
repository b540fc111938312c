import { asc, desc } from "drizzle-orm";
import type { SettlementStatement } from "../../../ledger/index.js";
import { anchorBatches, type Db, scenarios, settlementStatements } from "../../../store/index.js";
import { participantNames } from "./shared.js";

/** The most recent anchor batches, newest first. */
export async function recentBatches(db: Db, limit = 50) {
  return db.select().from(anchorBatches).orderBy(desc(anchorBatches.createdAt)).limit(limit);
}

/** Every statement's lines summed per payee: how the fees of all settled periods were split. */
export async function revenueSplit(db: Db) {
  const rows = await db.select({ statement: settlementStatements.statement }).from(settlementStatements);
  const totals = new Map<string, number>();
  for (const row of rows) {
    for (const line of (row.statement as unknown as SettlementStatement).lines) {
      totals.set(line.payeeId, (totals.get(line.payeeId) ?? 0) + line.amountFen);
    }
  }
  const names = await participantNames(db, [...totals.keys()]);
  return [...totals.entries()]
    .sort(([, a], [, b]) => b - a)
    .map(([payeeId, amountFen]) => ({ payeeId, name: names.get(payeeId) ?? payeeId, amountFen }));
}

/** ε spent and budgeted per scenario that has spent any, most spent first. */
export async function epsilonPerScenario(db: Db) {
  const rows = await db
    .select({
      id: scenarios.id,
      purpose: scenarios.purpose,
      spent: scenarios.epsilonSpentMicro,
      budget: scenarios.epsilonBudgetMicro,
    })
    .from(scenarios)
    .orderBy(desc(scenarios.epsilonSpentMicro), asc(scenarios.id));
  return rows.filter((r) => r.spent > 0);
}
