import { describe, expect, it } from "vitest";
import type { ColumnSpec } from "../node/datastore.js";
import { aggregateQuerySchema } from "../query/schema.js";
import { DUCKDB, POSTGRES } from "./dialect.js";
import { aggregateStatement, entitiesStatement, keyedStatement, type PushdownTarget } from "./pushdown.js";
import { checkColumns } from "./schema-check.js";

const columns: ColumnSpec[] = [
  { name: "uscc", type: "string" },
  { name: "district", type: "string" },
  { name: "sector", type: "string", nulls: "skip" },
  { name: "tax_paid_fen", type: "integer" },
  { name: "turnover", type: "decimal", nulls: "count" },
];
const target = (notNull: string[] = []): PushdownTarget => ({
  datasetId: "ds_tax",
  dialect: POSTGRES,
  relation: '"stats"."enterprise_tax"',
  columns: new Map(columns.map((c) => [c.name, c])),
  notNull: new Set(notNull),
});
const query = (q: unknown) => aggregateQuerySchema.parse(q);

describe("the statement a job's local part becomes", () => {
  it("binds every string of the query as a parameter, never as SQL", () => {
    const hostile = "x'); DROP TABLE enterprise_tax; --";
    const statement = aggregateStatement(
      target(),
      "tax_paid_fen",
      query({
        aggregate: "sum",
        filters: [{ field: "district", op: "=", value: hostile }],
        groupBy: { field: "sector", values: [hostile, "C"] },
      }),
    );
    expect(statement.sql).not.toContain("DROP");
    expect(statement.params).toEqual([hostile, hostile, "C"]);
    expect(statement.small).toBe(true);
    const lookup = entitiesStatement(target(), "uscc", [hostile], ["tax_paid_fen"]);
    expect(lookup.sql).not.toContain("DROP");
    expect(lookup.params).toEqual([[hostile]]);
  });

  it("writes numbers in the column's fixed point, decimals rounded by the database", () => {
    const { sql } = aggregateStatement(
      target(),
      "turnover",
      query({
        aggregate: "sum",
        filters: [{ field: "turnover", op: ">=", value: 12.345 }],
        bounds: { min: 0, max: 99.5 },
      }),
    );
    expect(sql).toContain('CAST(round(CAST("turnover" AS numeric) * 100) AS BIGINT) >= CAST(1235 AS BIGINT)');
    expect(sql).toContain("CAST(9950 AS BIGINT)");
    const duck = aggregateStatement(
      { ...target(), dialect: DUCKDB },
      "turnover",
      query({ aggregate: "variance", filters: [] }),
    );
    expect(duck.sql).toContain("DECIMAL(38,18)");
    expect(duck.sql).toContain("AS HUGEINT)");
  });

  it("looks for NULLs only where the column's declaration needs it and the database does not rule them out", () => {
    const q = query({ aggregate: "sum", filters: [{ field: "sector", op: "=", value: "C" }] });
    const refusing = aggregateStatement(target(), "tax_paid_fen", q);
    expect(refusing.sql).toContain('"tax_paid_fen" IS NULL THEN 1');
    expect(refusing.sql).toContain('"sector" IS NOT NULL');
    expect(refusing.layout.nullCounters.names).toEqual(["tax_paid_fen"]);
    const constrained = aggregateStatement(target(["tax_paid_fen", "sector"]), "tax_paid_fen", q);
    expect(constrained.sql).not.toContain("IS NULL");
    expect(constrained.sql).not.toContain("IS NOT NULL");
    expect(constrained.layout.nullCounters.names).toEqual([]);
  });

  it("refuses what the in-process evaluation refuses, in the same words", () => {
    const t = target();
    expect(() =>
      aggregateStatement(
        t,
        "tax_paid_fen",
        query({ aggregate: "sum", filters: [{ field: "district", op: "<", value: 3 }] }),
      ),
    ).toThrow(/district is categorical; it takes =, != and in, not </);
    expect(() =>
      aggregateStatement(
        t,
        "tax_paid_fen",
        query({ aggregate: "sum", filters: [{ field: "tax_paid_fen", op: "=", value: "a" }] }),
      ),
    ).toThrow(/tax_paid_fen is numeric; compare it with a number/);
    expect(() => aggregateStatement(t, "district", query({ aggregate: "sum", filters: [] }))).toThrow(
      /district is not numeric/,
    );
    expect(() => aggregateStatement(t, "nowhere", query({ aggregate: "sum", filters: [] }))).toThrow(
      /has no field nowhere/,
    );
    expect(() =>
      aggregateStatement(
        t,
        "tax_paid_fen",
        query({ aggregate: "sum", filters: [], groupBy: { field: "tax_paid_fen", values: ["1"] } }),
      ),
    ).toThrow(/group by a categorical field/);
    expect(() => keyedStatement(t, "tax_paid_fen", null, query({ aggregate: "count", filters: [] }))).toThrow(
      /no text key field tax_paid_fen/,
    );
  });
});

describe("the registered schema against the source's columns", () => {
  const found = (entries: [string, string][]) =>
    new Map(entries.map(([name, type]) => [name, { type, notNull: false }]));
  const registered: ColumnSpec[] = [
    { name: "uscc", type: "string" },
    { name: "tax_paid_fen", type: "integer" },
    { name: "turnover", type: "decimal" },
  ];
  it("accepts the types each kind of column may have, and text for any", () => {
    expect(() =>
      checkColumns(
        "ds",
        "t",
        registered,
        found([
          ["uscc", "character varying"],
          ["tax_paid_fen", "bigint"],
          ["turnover", "numeric"],
        ]),
      ),
    ).not.toThrow();
    expect(() =>
      checkColumns(
        "ds",
        "t",
        registered,
        found([
          ["uscc", "varchar"],
          ["tax_paid_fen", "varchar"],
          ["turnover", "varchar"],
        ]),
      ),
    ).not.toThrow();
    expect(() =>
      checkColumns(
        "ds",
        "t",
        registered,
        found([
          ["uscc", "varchar"],
          ["tax_paid_fen", "integer"],
          ["turnover", "decimal(18,2)"],
        ]),
      ),
    ).not.toThrow();
  });
  it("refuses a missing column and one of another kind, naming it", () => {
    expect(() =>
      checkColumns(
        "ds",
        "t",
        registered,
        found([
          ["uscc", "text"],
          ["tax_paid_fen", "bigint"],
        ]),
      ),
    ).toThrow(/column turnover is not in t/);
    expect(() =>
      checkColumns(
        "ds",
        "t",
        registered,
        found([
          ["uscc", "text"],
          ["tax_paid_fen", "numeric"],
          ["turnover", "numeric"],
        ]),
      ),
    ).toThrow(/column tax_paid_fen is numeric in t; its registered schema says integer/);
    expect(() =>
      checkColumns(
        "ds",
        "t",
        registered,
        found([
          ["uscc", "bigint"],
          ["tax_paid_fen", "bigint"],
          ["turnover", "double"],
        ]),
      ),
    ).toThrow(/column uscc is bigint/);
  });
});
