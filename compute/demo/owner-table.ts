import postgres from "postgres";
import type { ColumnSpec } from "../node/datastore.js";
import { quoteIdentifier } from "../sources/dialect.js";

const TYPES = { string: "text", integer: "bigint", decimal: "numeric(18,2)" } as const;
export const DEMO_OWNER_SCHEMA = "sluice_demo_owner";

/**
 * Puts a demo owner's rows in a table of the PostgreSQL the platform runs on, as a department's own
 * database would hold them (columns NOT NULL), once: a table that already holds rows is left as it is.
 */
export async function writeDemoOwnerTable(
  url: string,
  table: string,
  columns: ColumnSpec[],
  rows: Record<string, string>[],
): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.begin(async (tx) => {
      // Two platforms starting on one database at once make the table once.
      await tx`select pg_advisory_xact_lock(hashtext(${`${DEMO_OWNER_SCHEMA}.${table}`}))`;
      await tx.unsafe(`create schema if not exists ${quoteIdentifier(DEMO_OWNER_SCHEMA)}`);
      const definition = columns.map((c) => `${quoteIdentifier(c.name)} ${TYPES[c.type]} not null`).join(", ");
      await tx.unsafe(
        `create table if not exists ${quoteIdentifier(DEMO_OWNER_SCHEMA)}.${quoteIdentifier(table)} (${definition})`,
      );
      const [held] = await tx.unsafe(
        `select count(*)::int as n from ${quoteIdentifier(DEMO_OWNER_SCHEMA)}.${quoteIdentifier(table)}`,
      );
      if ((held?.n as number) > 0) return;
      const names = columns.map((c) => c.name);
      for (let from = 0; from < rows.length; from += 1_000)
        await tx`insert into ${tx(DEMO_OWNER_SCHEMA)}.${tx(table)} ${tx(rows.slice(from, from + 1_000), names)}`;
    });
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** The rows of a demo CSV (no quoting: the demo's cells hold no commas). */
export function rowsOfDemoCsv(csv: string): Record<string, string>[] {
  const [header, ...lines] = csv.trim().split("\n");
  const names = (header as string).split(",");
  return lines.map((line) => {
    const cells = line.split(",");
    return Object.fromEntries(names.map((name, i) => [name, cells[i] as string]));
  });
}
