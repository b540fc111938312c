import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import fc from "fast-check";
import mysql from "mysql2/promise";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeUscc } from "../../lib/uscc.js";
import { joinRing } from "../join/join-ring.js";
import type { KeyedFactors } from "../join/keyed-factors.js";
import type { ColumnSpec, NodeDataStore } from "../node/datastore.js";
import { createMemoryDataStore, datasetFromRows } from "../node/memory-store.js";
import { type AggregateQuery, aggregateQuerySchema, type Filter } from "../query/schema.js";
import { DuckDbFiles } from "./duckdb-engine.js";
import { MysqlPools } from "./mysql-engine.js";
import { PostgresPools } from "./postgres-engine.js";
import { createSqlDataStore } from "./sql-store.js";

// Pushdown equals the in-process computation: random tables, the same table in PostgreSQL, in
// MySQL (or MariaDB), as CSV and as Parquet through DuckDB, and random queries over them; every
// result must be identical.

const serverUrl = process.env.TEST_DATABASE_URL;
const mysqlUrl = process.env.TEST_MYSQL_URL;

const COLUMNS: ColumnSpec[] = [
  { name: "uscc", type: "string" },
  { name: "district", type: "string" },
  { name: "sector", type: "string" },
  { name: "tax_fen", type: "integer" },
  { name: "turnover", type: "decimal" },
];
const DISTRICTS = ["330102", "330105", "330106", "330108"];
const SECTORS = ["C", "F", "I"];
const CODES = Array.from({ length: 40 }, (_, i) => makeUscc("91", "330100", `MA${String(i).padStart(7, "0")}`));

type Row = Record<string, string>;

const decimalText = fc
  .tuple(
    fc.integer({ min: -5_000_000, max: 5_000_000 }),
    fc.integer({ min: 0, max: 999 }),
    fc.integer({ min: 0, max: 3 }),
  )
  .map(([whole, fraction, digits]) => {
    const sign = whole < 0 ? "-" : "";
    const text = `${sign}${Math.abs(whole)}`;
    return digits === 0 ? text : `${text}.${String(fraction).padStart(3, "0").slice(0, digits)}`;
  });

const rowArbitrary: fc.Arbitrary<Row> = fc.record({
  // Spellings that normalise to one code: as issued, lower-cased, padded with spaces.
  uscc: fc
    .tuple(fc.constantFrom(...CODES), fc.integer({ min: 0, max: 5 }))
    .map(([code, spelling]) => (spelling === 4 ? code.toLowerCase() : spelling === 5 ? ` ${code} ` : code)),
  district: fc.constantFrom(...DISTRICTS),
  sector: fc.constantFrom(...SECTORS),
  tax_fen: fc.integer({ min: -2_000_000, max: 90_000_000 }).map(String),
  turnover: decimalText,
});

const filterArbitrary: fc.Arbitrary<Filter> = fc.oneof(
  fc.record({
    field: fc.constant("sector"),
    op: fc.constantFrom("=", "!=") as fc.Arbitrary<"=" | "!=">,
    value: fc.constantFrom(...SECTORS),
  }),
  fc.record({
    field: fc.constant("district"),
    op: fc.constant("in" as const),
    values: fc.subarray(DISTRICTS, { minLength: 1 }),
  }),
  fc.record({
    field: fc.constantFrom("tax_fen", "turnover"),
    op: fc.constantFrom("<", "<=", ">", ">=", "=", "!=") as fc.Arbitrary<"<" | "<=" | ">" | ">=" | "=" | "!=">,
    value: fc.integer({ min: -1_000_000, max: 50_000_000 }),
  }),
  fc
    .tuple(
      fc.constantFrom("tax_fen", "turnover"),
      fc.integer({ min: -1_000_000, max: 50_000_000 }),
      fc.integer({ min: 0, max: 40_000_000 }),
    )
    .map(([field, min, span]) => ({ field, op: "between" as const, min: min / 100, max: (min + span) / 100 })),
);

const queryArbitrary: fc.Arbitrary<AggregateQuery> = fc
  .record({
    aggregate: fc.constantFrom("count", "sum", "mean", "variance", "histogram") as fc.Arbitrary<
      AggregateQuery["aggregate"]
    >,
    filters: fc.array(filterArbitrary, { maxLength: 3 }),
    group: fc.option(fc.subarray([...DISTRICTS, "330199"], { minLength: 1 }), { nil: undefined }),
    edges: fc.uniqueArray(fc.integer({ min: -1_000_000, max: 60_000_000 }), { minLength: 1, maxLength: 6 }),
    bounds: fc.option(
      fc.tuple(fc.integer({ min: -3_000_000, max: 1_000_000 }), fc.integer({ min: 0, max: 80_000_000 })),
      { nil: undefined },
    ),
  })
  .map(({ aggregate, filters, group, edges, bounds }) =>
    aggregateQuerySchema.parse({
      aggregate,
      filters,
      ...(group ? { groupBy: { field: "district", values: group } } : {}),
      ...(aggregate === "histogram" ? { bins: [...edges].sort((a, b) => a - b) } : {}),
      ...(bounds ? { bounds: { min: bounds[0], max: bounds[0] + bounds[1] } } : {}),
    }),
  );

/** A join part's factors as key → cells, so that stores listing keys in another order compare equal. */
function byKey(ring: ReturnType<typeof joinRing>, factors: KeyedFactors) {
  const values = ring.toBigInts(factors.cells);
  return {
    invalidKeys: factors.invalidKeys,
    cells: Object.fromEntries(
      factors.keys.map((key, i) => [key, values.slice(i * factors.width, (i + 1) * factors.width).join(",")]),
    ),
  };
}

function csvOf(rows: Row[]): string {
  const quoted = (cell: string) => `"${cell.replaceAll('"', '""')}"`;
  return [
    COLUMNS.map((c) => c.name).join(","),
    ...rows.map((r) => COLUMNS.map((c) => quoted(r[c.name] as string)).join(",")),
  ].join("\r\n");
}

interface Stores {
  label: string;
  load(rows: Row[]): Promise<NodeDataStore>;
}

const dir = mkdtempSync(path.join(tmpdir(), "sluice-pushdown-"));
const files = new DuckDbFiles({
  threads: 1,
  memoryLimit: "256MB",
  tempDirectory: path.join(dir, "spill"),
  cacheDirectory: path.join(dir, "copies"),
  statementTimeoutMs: 30_000,
});
const pools = new PostgresPools({ maxConnections: 2, statementTimeoutMs: 30_000 });
const schema = `pushdown_${randomBytes(4).toString("hex")}`;
const admin = serverUrl ? postgres(serverUrl, { max: 1, onnotice: () => {} }) : null;
const mysqlPools = new MysqlPools({ maxConnections: 2, statementTimeoutMs: 30_000 });
let mysqlAdmin: mysql.Connection | null = null;
/** The test's own MySQL database, in a URL naming it. */
const mysqlDatabaseUrl = () => {
  const url = new URL(mysqlUrl as string);
  url.pathname = `/${schema}`;
  return url.toString();
};
let tables = 0;

const sources: Stores[] = [
  {
    label: "DuckDB over CSV",
    load: async (rows) => {
      const file = path.join(dir, `t${tables++}.csv`);
      writeFileSync(file, csvOf(rows));
      const engine = files.engine({ path: file, format: "csv", encoding: "utf-8", delimiter: "," });
      return createSqlDataStore([{ id: "ds", columns: COLUMNS, engine }]);
    },
  },
  {
    label: "DuckDB over Parquet",
    load: async (rows) => {
      const csv = path.join(dir, `p${tables}.csv`);
      const parquet = path.join(dir, `p${tables++}.parquet`);
      writeFileSync(csv, csvOf(rows));
      const instance = await DuckDBInstance.create(":memory:");
      const connection = await instance.connect();
      await connection.run(
        `COPY (SELECT uscc, district, sector, CAST(tax_fen AS BIGINT) AS tax_fen, CAST(turnover AS DECIMAL(18,3)) AS turnover
           FROM read_csv('${csv}', header = true, all_varchar = true)) TO '${parquet}' (FORMAT parquet)`,
      );
      connection.closeSync();
      instance.closeSync();
      const engine = files.engine({ path: parquet, format: "parquet", encoding: "utf-8", delimiter: "," });
      return createSqlDataStore([{ id: "ds", columns: COLUMNS, engine }]);
    },
  },
  ...(admin
    ? [
        {
          label: "PostgreSQL",
          load: async (rows: Row[]) => {
            const table = `t${tables++}`;
            await admin.unsafe(
              `create table ${schema}.${table} (uscc text, district varchar(6), sector text, tax_fen bigint, turnover numeric(18,3))`,
            );
            if (rows.length > 0) await admin`insert into ${admin(`${schema}.${table}`)} ${admin(rows)}`;
            const engine = pools.engine({ url: serverUrl as string, schema, table });
            return createSqlDataStore([{ id: "ds", columns: COLUMNS, engine }]);
          },
        },
      ]
    : []),
  ...(mysqlUrl
    ? [
        {
          label: "MySQL",
          load: async (rows: Row[]) => {
            const table = `t${tables++}`;
            const connection = mysqlAdmin as mysql.Connection;
            await connection.query(
              `CREATE TABLE ${schema}.${table} (uscc text, district varchar(6), sector text, tax_fen bigint, turnover decimal(18,3))`,
            );
            if (rows.length > 0)
              await connection.query(
                `INSERT INTO ${schema}.${table} (uscc, district, sector, tax_fen, turnover) VALUES ?`,
                [rows.map((r) => [r.uscc, r.district, r.sector, r.tax_fen, r.turnover])],
              );
            const engine = mysqlPools.engine({ url: mysqlDatabaseUrl(), table });
            return createSqlDataStore([{ id: "ds", columns: COLUMNS, engine }]);
          },
        },
      ]
    : []),
];

beforeAll(async () => {
  if (admin) await admin.unsafe(`create schema ${schema}`);
  if (mysqlUrl) {
    mysqlAdmin = await mysql.createConnection({ uri: mysqlUrl });
    await mysqlAdmin.query(`CREATE DATABASE ${schema} CHARACTER SET utf8mb4`);
  }
});
afterAll(async () => {
  await files.close();
  await pools.close();
  await mysqlPools.close();
  if (mysqlAdmin) {
    await mysqlAdmin.query(`DROP DATABASE IF EXISTS ${schema}`);
    await mysqlAdmin.end();
  }
  if (admin) {
    await admin.unsafe(`drop schema if exists ${schema} cascade`);
    await admin.end();
  }
  rmSync(dir, { recursive: true, force: true });
});

describe.each(sources)("a job pushed down to $label", (source) => {
  it("gives exactly the in-process cells for random tables and aggregates", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(rowArbitrary, { maxLength: 120 }),
        fc.array(queryArbitrary, { minLength: 1, maxLength: 4 }),
        async (rows, queries) => {
          const memory = createMemoryDataStore([datasetFromRows("ds", COLUMNS, rows)]);
          const live = await source.load(rows);
          for (const query of queries) {
            const field =
              query.aggregate === "count" ? "tax_fen" : ((["tax_fen", "turnover"] as const)[rows.length % 2] as string);
            expect(await live.aggregate("ds", field, query)).toEqual(await memory.aggregate("ds", field, query));
          }
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);

  it("gives exactly the in-process join factors, spellings of one code merged, in both rings", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(rowArbitrary, { maxLength: 120 }),
        queryArbitrary,
        fc.constantFrom(64, 128) as fc.Arbitrary<64 | 128>,
        async (rows, query, bits) => {
          const memory = createMemoryDataStore([datasetFromRows("ds", COLUMNS, rows)]);
          const live = await source.load(rows);
          const ring = joinRing(bits);
          const input = {
            keyField: "uscc",
            keyKind: "uscc" as const,
            measuredField: query.aggregate === "count" ? null : "turnover",
            query,
            maxRowsPerKey: 1_000,
            ring,
          };
          expect(byKey(ring, await live.joinFactors("ds", input))).toEqual(
            byKey(ring, await memory.joinFactors("ds", input)),
          );
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);

  it("streams the same identifiers and values, and looks up the same entities", async () => {
    const rows = fc.sample(rowArbitrary, { numRuns: 150, seed: 7 }).map((row, i) => ({ ...row, uscc: `E${i}` }));
    const memory = createMemoryDataStore([datasetFromRows("ds", COLUMNS, rows)]);
    const live = await source.load(rows);
    const collect = async (store: NodeDataStore) => {
      const pairs: string[] = [];
      for await (const batch of store.identifiers("ds", "uscc", "turnover"))
        batch.ids.forEach((id, i) => {
          pairs.push(`${id}=${batch.values?.[i]}`);
        });
      return pairs.sort();
    };
    expect(await collect(live)).toEqual(await collect(memory));
    const asked = ["E3", "E149", "nobody", "E0", "E77"];
    expect(await live.entities("ds", "uscc", asked, ["tax_fen", "turnover"])).toEqual(
      await memory.entities("ds", "uscc", asked, ["tax_fen", "turnover"]),
    );
    // An id holding a newline cannot travel joined by newlines: the ids are bound as an array instead.
    const awkward = ["E5", "E6\nE7", "E7", "E6"];
    expect(await live.entities("ds", "uscc", awkward, ["tax_fen"])).toEqual(
      await memory.entities("ds", "uscc", awkward, ["tax_fen"]),
    );
    expect(await live.entities("ds", "uscc", [], ["tax_fen"])).toEqual(
      await memory.entities("ds", "uscc", [], ["tax_fen"]),
    );
  });

  it("refuses to score an entity that has two rows", async () => {
    const [row] = fc.sample(rowArbitrary, { numRuns: 1, seed: 3 });
    const live = await source.load([
      { ...row, uscc: "E1" },
      { ...row, uscc: "E2" },
      { ...row, uscc: "E1" },
    ]);
    await expect(live.entities("ds", "uscc", ["E2", "E1"], ["turnover"])).rejects.toThrow(
      "uscc E1 has more than one row",
    );
  });
});
