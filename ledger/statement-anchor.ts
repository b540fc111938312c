import { eq, isNull } from "drizzle-orm";
import { type Db, settlementStatements } from "../store/index.js";
import { LedgerError } from "./errors.js";
import { type SettlementStatement, statementInconsistency } from "./settlement.js";
import type { SettlementClient } from "./settlement-client.js";

/**
 * Anchors a stored statement, or finds it already on chain (a crash after sending), and records
 * that it is anchored. A statement on chain with another root is an error, never overwritten.
 */
export async function anchorStoredStatement(
  db: Db,
  client: SettlementClient,
  id: string,
  statement: SettlementStatement,
  now = new Date(),
): Promise<{ txHash: string | null }> {
  const inconsistency = statementInconsistency(statement);
  if (inconsistency)
    throw new LedgerError("statement_inconsistent", `statement ${id} is not anchored: ${inconsistency}`);
  const onChain = await client.getStatement(id);
  if (onChain && onChain.root !== statement.root) {
    throw new LedgerError(
      "anchor_conflict",
      `statement ${id} is on chain with root ${onChain.root}, not ${statement.root}`,
    );
  }
  const txHash = onChain ? null : (await client.anchorStatement(id, statement)).txHash;
  await db.update(settlementStatements).set({ txHash, anchoredAt: now }).where(eq(settlementStatements.id, id));
  return { txHash };
}

/** Anchors every stored statement a chain outage left unanchored, oldest first; returns how many. */
export async function anchorPendingStatements(db: Db, client: SettlementClient): Promise<number> {
  const pending = await db
    .select()
    .from(settlementStatements)
    .where(isNull(settlementStatements.anchoredAt))
    .orderBy(settlementStatements.createdAt);
  for (const row of pending) {
    await anchorStoredStatement(db, client, row.id, row.statement as unknown as SettlementStatement);
  }
  return pending.length;
}
