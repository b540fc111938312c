import { and, desc, eq, gte, lt, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { SluiceError } from "../../lib/errors.js";
import { type Db, usageRecords } from "../../store/index.js";

const instant = z.iso.datetime({ offset: true });

export const recordListQuerySchema = z.strictObject({
  operatorId: z.string().min(1).optional().describe("only records of this operator"),
  scenarioId: z.string().min(1).optional().describe("only records of this scenario"),
  ownerId: z.string().min(1).optional().describe("only records that used this owner's data"),
  batchId: z.string().min(1).optional().describe("only records anchored in this batch"),
  from: instant.optional().describe("only records written at or after this instant"),
  to: instant.optional().describe("only records written before this instant"),
  limit: z.coerce.number().int().min(1).max(1000).default(100).describe("records per page (1 to 1000, default 100)"),
  before: z.string().min(1).optional().describe("the `next` cursor of the previous page"),
});
export type RecordListQuery = z.infer<typeof recordListQuerySchema>;

/** Usage records that used `ownerId`'s data (one of the record's owners). */
export const usesOwnersData = (ownerId: string): SQL =>
  sql`${usageRecords.record}->'owners' @> ${JSON.stringify([{ ownerId }])}::jsonb`;

/** The cursor names the last record of a page by its creation time (database precision) and id. */
function decodeCursor(cursor: string): { at: string; id: string } {
  const [at, id] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  if (!at || !id || Number.isNaN(Date.parse(at))) {
    throw new SluiceError("validation_failed", "`before` is not a cursor this gateway gave");
  }
  return { at, id };
}

/** A page of usage records, newest first, with the filters that apply. */
export async function listUsageRecords(db: Db, query: RecordListQuery) {
  const filters: (SQL | undefined)[] = [
    query.operatorId ? sql`${usageRecords.record}->>'operatorId' = ${query.operatorId}` : undefined,
    query.scenarioId ? sql`${usageRecords.record}->>'scenarioId' = ${query.scenarioId}` : undefined,
    query.ownerId ? usesOwnersData(query.ownerId) : undefined,
    query.batchId ? eq(usageRecords.batchId, query.batchId) : undefined,
    query.from ? gte(usageRecords.createdAt, new Date(query.from)) : undefined,
    query.to ? lt(usageRecords.createdAt, new Date(query.to)) : undefined,
  ];
  if (query.before) {
    const cursor = decodeCursor(query.before);
    filters.push(sql`(${usageRecords.createdAt}, ${usageRecords.id}) < (${cursor.at}::timestamptz, ${cursor.id})`);
  }
  const rows = await db
    .select({ row: usageRecords, at: sql<string>`(${usageRecords.createdAt})::text` })
    .from(usageRecords)
    .where(and(...filters))
    .orderBy(desc(usageRecords.createdAt), desc(usageRecords.id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  const next =
    rows.length > query.limit && last ? Buffer.from(`${last.at}|${last.row.id}`, "utf8").toString("base64url") : null;
  return { records: page.map((r) => ({ ...r.row, feeFen: Number(r.row.record.feeFen) })), next };
}
