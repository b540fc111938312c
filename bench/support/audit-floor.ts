import { sql } from "drizzle-orm";
import { WorkerPool } from "../../lib/worker-pool.js";
import type { Db } from "../../store/index.js";

const PAGE = 5_000;

interface FloorPage {
  texts: string[];
  last: { at: string; id: string } | null;
}

/**
 * The work no audit of a period can skip, timed: read every usage record written in it and the
 * decision each names from the database (one keyset-paged join, the next page read while this one
 * is hashed), and hash the RFC 8785 form of both on two worker threads. Returns the seconds it took.
 */
export async function auditFloorSeconds(
  db: Db,
  period: { start: Date; end: Date },
): Promise<{ seconds: number; texts: number }> {
  const pool = new WorkerPool(new URL("./audit-floor-worker-entry.mjs", import.meta.url), "internal", 2);
  const started = performance.now();
  const read = async (after: FloorPage["last"]): Promise<FloorPage> => {
    const result = await db.execute(sql`
      select (r.record)::text as record,
             jsonb_build_object('request', d.request, 'state', d.state, 'decision', d.decision)::text as decision,
             (r.created_at)::text as at, r.id
      from usage_records r join decisions d on d.hash = r.record->>'decisionHash'
      where r.created_at >= ${period.start.toISOString()}::timestamptz and r.created_at < ${period.end.toISOString()}::timestamptz
        ${after ? sql`and (r.created_at, r.id) > (${after.at}::timestamptz, ${after.id})` : sql``}
      order by r.created_at, r.id
      limit ${PAGE}`);
    type Row = { record: string; decision: string; at: string; id: string };
    const rows = (Array.isArray(result) ? result : (result as unknown as { rows: Row[] }).rows) as Row[];
    const last = rows.at(-1);
    return {
      texts: rows.flatMap((r) => [r.record, r.decision]),
      last: rows.length === PAGE && last ? { at: last.at, id: last.id } : null,
    };
  };
  let texts = 0;
  try {
    let next = read(null);
    for (;;) {
      const page = await next;
      if (page.last) next = read(page.last);
      const half = Math.ceil(page.texts.length / 2);
      const parts = [page.texts.slice(0, half), page.texts.slice(half)].filter((p) => p.length > 0);
      const hashed = await Promise.all(parts.map((part) => pool.run<number>("hashCanonical", [part])));
      texts += hashed.reduce((a, b) => a + b, 0);
      if (!page.last) break;
    }
    return { seconds: (performance.now() - started) / 1000, texts };
  } finally {
    await pool.close();
  }
}
