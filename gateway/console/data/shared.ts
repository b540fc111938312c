import { and, gte, inArray, sql } from "drizzle-orm";
import { type Db, participants, usageRecords } from "../../../store/index.js";
import { usesOwnersData } from "../../services/record-list.js";

const DAY_MS = 86_400_000;

/** Participants' names by id, for tables that would otherwise show only ids. */
export async function participantNames(db: Db, ids: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await db
    .select({ id: participants.id, name: participants.name })
    .from(participants)
    .where(inArray(participants.id, unique));
  return new Map(rows.map((r) => [r.id, r.name]));
}

/**
 * Usage records per UTC day over the last `days` days (today included), every day present, oldest
 * first; only those using `ownerId`'s data when it is given.
 */
export async function usagePerDay(
  db: Db,
  now: Date,
  days: number,
  ownerId?: string,
): Promise<{ label: string; value: number }[]> {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const since = new Date(today - (days - 1) * DAY_MS);
  const day = sql<string>`to_char(${usageRecords.createdAt} at time zone 'UTC', 'YYYY-MM-DD')`;
  const rows = await db
    .select({ day, count: sql<number>`count(*)::int` })
    .from(usageRecords)
    .where(and(gte(usageRecords.createdAt, since), ownerId ? usesOwnersData(ownerId) : undefined))
    .groupBy(day);
  const counts = new Map(rows.map((r) => [r.day, Number(r.count)]));
  return Array.from({ length: days }, (_, i) => {
    const label = new Date(since.getTime() + i * DAY_MS).toISOString().slice(0, 10);
    return { label, value: counts.get(label) ?? 0 };
  });
}
