import { and, asc, gte, lt } from "drizzle-orm";
import { type DbOrTx, type UsageRecordRow, usageRecords } from "../store/index.js";
import type { SettlementRecord } from "./settlement.js";

/** The usage records written in [start, end), in the order they were written: what a period settles. */
export function recordsWrittenIn(db: DbOrTx, period: { start: Date; end: Date }): Promise<UsageRecordRow[]> {
  return db
    .select()
    .from(usageRecords)
    .where(and(gte(usageRecords.createdAt, period.start), lt(usageRecords.createdAt, period.end)))
    .orderBy(asc(usageRecords.createdAt), asc(usageRecords.id));
}

/** What settlement reads of a stored usage record. */
export function settlementRecordOf(row: UsageRecordRow): SettlementRecord {
  return {
    recordId: row.id,
    scenarioId: String(row.record.scenarioId),
    feeFen: Number(row.record.feeFen),
    owners: (row.record.owners as { ownerId: string; contributionUnits: number }[]).map((o) => ({
      ownerId: o.ownerId,
      contributionUnits: o.contributionUnits,
    })),
  };
}
