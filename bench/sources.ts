import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { cpus } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DuckDBInstance } from "@duckdb/node-api";
import postgres from "postgres";
import type { AggregateQuery } from "../compute/query/schema.js";
import { report } from "./report.js";

// A filtered group-by sum over 20 districts at one owner's node, pushed down to where the data
// lives (issue 20): a table of BENCH_SOURCES_ROWS rows (default 10,000,000) in the local PostgreSQL
// (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test) and the same rows as Parquet
// through the node's DuckDB; the limit is the same SELECT … GROUP BY run by each database itself,
// in the same run. Then the node's peak memory over BENCH_SOURCES_BIG_ROWS Parquet rows (default
// 100,000,000), and its peak while it opens a PSI session over each file. Generated data is kept in /tmp/sluice-bench-sources between runs.

const rows = Number(process.env.BENCH_SOURCES_ROWS ?? 10_000_000);
const bigRows = Number(process.env.BENCH_SOURCES_BIG_ROWS ?? 100_000_000);
const url = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const dir = "/tmp/sluice-bench-sources";
const repeats = 3;
mkdirSync(dir, { recursive: true });
const machine = { cpus: cpus().length, cpu: cpus()[0]?.model.split(" ").slice(0, 2).join(" ") };
const here = path.dirname(fileURLToPath(import.meta.url));

const DISTRICTS = Array.from({ length: 20 }, (_, i) => String(330101 + i));
const query: AggregateQuery = {
  aggregate: "sum",
  filters: [{ field: "sector", op: "in", values: ["C", "F", "I"] }],
  groupBy: { field: "district", values: DISTRICTS },
};
const columns = [
  { name: "uscc", type: "string" as const },
  { name: "district", type: "string" as const },
  { name: "sector", type: "string" as const },
  { name: "tax_paid_fen", type: "integer" as const },
];
const native = (relation: string) =>
  `SELECT district, count(*), sum(tax_paid_fen) FROM ${relation} WHERE sector IN ('C', 'F', 'I') AND district IN (${DISTRICTS.map((d) => `'${d}'`).join(", ")}) GROUP BY district`;
// The same deterministic rows in both databases: row i's district, sector and amount from i alone.
const generated = (i: string) => ({
  uscc: `'E' || ${i}`,
  district: `CAST(330101 + (${i} * 7) % 20 AS VARCHAR)`,
  sector: `chr(65 + CAST((${i} * 13) % 8 AS INTEGER))`,
  tax: `(${i} * 2654435761) % 1000000`,
});

async function median(run: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < repeats + 1; i++) {
    const started = performance.now();
    await run();
    if (i > 0) times.push((performance.now() - started) / 1000);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)] as number;
}

/** Runs bench/support/<script> in a process of its own (so its peak memory is its own); its last line, parsed. */
function inChild<T>(script: string, input: object): T {
  const out = execFileSync(
    process.execPath,
    ["--import", "tsx", path.join(here, "support", script), JSON.stringify(input)],
    { encoding: "utf8", maxBuffer: 1 << 24 },
  );
  return JSON.parse(out.trim().split("\n").at(-1) as string) as T;
}

const pushdown = (dataset: object) =>
  inChild<{ seconds: number; cells: string[]; maxRssMb: number }>("sources-node.ts", {
    dataset,
    query,
    measured: "tax_paid_fen",
    repeats,
  });

// PostgreSQL: the table, made once.
const sql = postgres(url, { max: 1, onnotice: () => {} });
const table = `owner_${rows}`;
await sql`create schema if not exists sluice_bench`;
const [present] =
  await sql`select count(*)::int as n from information_schema.tables where table_schema = 'sluice_bench' and table_name = ${table}`;
if (!present?.n) {
  const g = generated("i");
  await sql.unsafe(`create table sluice_bench.${table} as select ${g.uscc} as uscc, ${g.district.replace("VARCHAR", "text")} as district,
    ${g.sector} as sector, ${g.tax.replace("2654435761", "2654435761::bigint")} as tax_paid_fen from generate_series(0, ${rows - 1}) as s(i)`);
  await sql.unsafe(
    `alter table sluice_bench.${table} alter column district set not null, alter column sector set not null, alter column tax_paid_fen set not null`,
  );
  await sql.unsafe(`vacuum analyze sluice_bench.${table}`);
}
const pgNative = await median(() => sql.unsafe(native(`sluice_bench.${table}`)));
await sql.end();
const pg = pushdown({ id: "ds_tax", postgres: { url, schema: "sluice_bench", table }, columns });

// Parquet, made once per size by DuckDB itself.
async function parquet(count: number): Promise<string> {
  const file = path.join(dir, `owner_${count}.parquet`);
  if (existsSync(file)) return file;
  const instance = await DuckDBInstance.create(":memory:", {
    threads: "2",
    memory_limit: "2GB",
    temp_directory: path.join(dir, "spill"),
  });
  const connection = await instance.connect();
  const g = generated("i");
  await connection.run(
    `COPY (SELECT ${g.uscc} AS uscc, ${g.district} AS district, ${g.sector} AS sector, CAST(${g.tax} AS BIGINT) AS tax_paid_fen FROM range(${count}) t(i)) TO '${file}.partial' (FORMAT parquet, ROW_GROUP_SIZE 1000000)`,
  );
  connection.closeSync();
  instance.closeSync();
  execFileSync("mv", [`${file}.partial`, file]);
  return file;
}
const file = await parquet(rows);
const duckNativeInstance = await DuckDBInstance.create(":memory:", { threads: "2", memory_limit: "512MB" });
const duckConnection = await duckNativeInstance.connect();
const duckNative = await median(() => duckConnection.runAndReadAll(native(`read_parquet('${file}')`)));
duckConnection.closeSync();
duckNativeInstance.closeSync();
const duck = pushdown({ id: "ds_tax", files: { path: file, format: "parquet" }, columns });
if (pg.cells.join() !== duck.cells.join()) throw new Error("PostgreSQL and DuckDB disagree on the same rows");

const big = pushdown({ id: "ds_tax", files: { path: await parquet(bigRows), format: "parquet" }, columns });

// An owner's node opening a PSI session over the same Parquet files: every identifier streamed,
// counted once and shuffled on disk.
const psiOpen = (file: string) =>
  inChild<{ seconds: number; count: number; maxRssMb: number }>("psi-open-node.ts", {
    dataset: { id: "ds_tax", files: { path: file, format: "parquet" }, columns },
    idField: "uscc",
  });
const psiOpenSmall = psiOpen(file);
const psiOpenBig = psiOpen(await parquet(bigRows));
for (const [opened, count] of [
  [psiOpenSmall, rows],
  [psiOpenBig, bigRows],
] as const) {
  if (opened.count !== count) throw new Error(`a PSI session over ${count} distinct ids counted ${opened.count}`);
}

const context = { rows, machine };
const limit = (nativeSeconds: number) => 1.5 * nativeSeconds + 0.2;
report("sources", "pg_native_s", pgNative, "s", context);
report("sources", "pg_pushdown_s", pg.seconds, "s", {
  ...context,
  target: `< 1.5 × pg_native_s + 0.2 = ${limit(pgNative).toFixed(3)}`,
  ratio: Number((pg.seconds / pgNative).toFixed(3)),
});
report("sources", "duckdb_native_s", duckNative, "s", context);
report("sources", "duckdb_pushdown_s", duck.seconds, "s", {
  ...context,
  target: `< 1.5 × duckdb_native_s + 0.2 = ${limit(duckNative).toFixed(3)}`,
  ratio: Number((duck.seconds / duckNative).toFixed(3)),
});
report("sources", "node_peak_rss_mb", big.maxRssMb, "MiB", {
  rows: bigRows,
  machine,
  seconds: Number(big.seconds.toFixed(3)),
  target: "< 300",
});
for (const [opened, count] of [
  [psiOpenSmall, rows],
  [psiOpenBig, bigRows],
] as const) {
  report("sources", "psi_open_peak_rss_mb", opened.maxRssMb, "MiB", {
    rows: count,
    machine,
    seconds: Number(opened.seconds.toFixed(1)),
    target: "< 1024",
    note: "an owner's node opening a PSI session: identifiers streamed from Parquet, normalised, counted once and shuffled on disk",
  });
}
report("sources", "node_peak_rss_mb_10m", duck.maxRssMb, "MiB", { ...context, note: "the DuckDB run above" });
report("sources", "pg_node_peak_rss_mb", pg.maxRssMb, "MiB", {
  ...context,
  note: "the PostgreSQL run: the database does the work",
});
