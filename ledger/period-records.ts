import { and, asc, gte, lt, sql } from "drizzle-orm";
import { type DbOrTx, type UsageRecordRow, usageRecords } from "../store/index.js";
import type { AssetRecord } from "./asset-accounts.js";

/** What settlement (and the data-asset accounts) read of a stored usage record. */
export function settlementRecordOf(row: UsageRecordRow): AssetRecord {
  return {
    recordId: row.id,
    scenarioId: String(row.record.scenarioId),
    feeFen: Number(row.record.feeFen),
    owners: (row.record.owners as AssetRecord["owners"]).map((o) => ({
      ownerId: o.ownerId,
      datasetId: o.datasetId,
      contributionUnits: o.contributionUnits,
    })),
  };
}

/**
 * The usage records written in [start, end), in the order they were written (what a period
 * settles), a page at a time (keyset on creation time and id), so a period of any size streams. The cursor keeps the database's microseconds, which a Date would drop.
 */
export async function* recordPagesWrittenIn(
  db: DbOrTx,
  period: { start: Date; end: Date },
  pageSize = 5_000,
): AsyncGenerator<UsageRecordRow[]> {
  let after = null as { createdAt: string; id: string } | null;
  const inPeriod = and(gte(usageRecords.createdAt, period.start), lt(usageRecords.createdAt, period.end));
  for (;;) {
    const cursor = after;
    const rows = await db
      .select({ row: usageRecords, cursor: sql<string>`(${usageRecords.createdAt})::text` })
      .from(usageRecords)
      .where(
        cursor
          ? and(
              inPeriod,
              sql`(${usageRecords.createdAt}, ${usageRecords.id}) > (${cursor.createdAt}::timestamptz, ${cursor.id})`,
            )
          : inPeriod,
      )
      .orderBy(asc(usageRecords.createdAt), asc(usageRecords.id))
      .limit(pageSize);
    if (rows.length === 0) return;
    yield rows.map((r) => r.row);
    const last = rows[rows.length - 1] as (typeof rows)[number];
    after = { createdAt: last.cursor, id: last.row.id };
    if (rows.length < pageSize) return;
  }
}
