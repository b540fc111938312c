import { bigint, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * A period's revenue-sharing statement, as computed from its usage records and anchored on chain.
 * Periods never overlap: migration 0008 adds the exclusion constraint
 * `settlement_statements_periods_disjoint` (drizzle's schema cannot state one).
 */
export const settlementStatements = pgTable("settlement_statements", {
  id: text("id").primaryKey(),
  periodStart: timestamp("period_start", { withTimezone: true }).notNull(),
  periodEnd: timestamp("period_end", { withTimezone: true }).notNull(),
  recordCount: integer("record_count").notNull(),
  feeTotalFen: bigint("fee_total_fen", { mode: "number" }).notNull(),
  /** The whole statement: lines, records hash and root (ledger/settlement.ts). */
  statement: jsonb("statement").$type<Record<string, unknown>>().notNull(),
  root: text("root").notNull(),
  recordsHash: text("records_hash").notNull(),
  txHash: text("tx_hash"),
  anchoredAt: timestamp("anchored_at", { withTimezone: true }),
  createdBy: text("created_by").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

export type SettlementStatementRow = typeof settlementStatements.$inferSelect;
