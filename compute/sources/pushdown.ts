import { ComputeError } from "../errors.js";
import { type ColumnSpec, MAX_ABS_VALUE, scaleOf } from "../node/datastore.js";
import { type AggregateQuery, type Filter, measuresOf } from "../query/schema.js";
import { type IntegerSize, quoteIdentifier, type SqlDialect } from "./dialect.js";
import type { SourceValue } from "./engine.js";

// Turns an owner's part of a job into one SQL statement for the owner's own database, so that the
// rows stay there and only per-cell (or per-key) totals come back. Every value comes back as text
// and every number in the node's fixed point (decimals in hundredths, rounded half away from zero
// by the database, as `memory-store.ts` does), so that the result equals the in-process one
// exactly. Query strings are bound as parameters; numbers are validated safe integers and written
// into the statement.

/** Where a statement runs: the dataset's relation (a quoted table, a file reader) and its registered schema. */
export interface PushdownTarget {
  datasetId: string;
  dialect: SqlDialect;
  relation: string;
  columns: ReadonlyMap<string, ColumnSpec>;
  /** Columns the database itself declares NOT NULL: no NULL can meet a job there, so none is looked for. */
  notNull?: ReadonlySet<string>;
}

export interface Statement {
  sql: string;
  /** Bound in order; a list binds as an array of text (a set of ids). */
  params: (string | readonly string[])[];
  /** Its output is small (an aggregate's cells): fetched whole, which lets PostgreSQL plan it in parallel. */
  small?: boolean;
}

class Params {
  readonly values: (string | readonly string[])[] = [];
  add(value: string | readonly string[]): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

const policy = (spec: ColumnSpec) => spec.nulls ?? "refuse";

function specOf(target: PushdownTarget, name: string): ColumnSpec {
  const spec = target.columns.get(name);
  if (!spec) throw new ComputeError("field_unknown", `dataset ${target.datasetId} has no field ${name}`);
  return spec;
}

/** A safe integer written into a statement as a 64-bit integer. */
function integer(target: PushdownTarget, value: number): string {
  if (!Number.isSafeInteger(value)) throw new ComputeError("query_invalid", `${value} is not an exact integer`);
  return `CAST(${value} AS ${target.dialect.bigint})`;
}

/** A query constant in the column's fixed point, rounded half away from zero (as `evaluate.ts`). */
const scaled = (value: number, scale: number) => Math.sign(value) * Math.round(Math.abs(value) * scale);

/** A numeric column in the node's fixed point, as a 64-bit integer. */
export function fixedPoint(target: PushdownTarget, spec: ColumnSpec): string {
  const column = quoteIdentifier(spec.name);
  const { bigint, decimal } = target.dialect;
  if (spec.type === "integer") return `CAST(${column} AS ${bigint})`;
  return `CAST(round(CAST(${column} AS ${decimal}) * 100) AS ${bigint})`;
}

export function text(target: PushdownTarget, spec: ColumnSpec): string {
  return `CAST(${quoteIdentifier(spec.name)} AS ${target.dialect.text})`;
}

const asText = (target: PushdownTarget, expression: string) => `CAST(${expression} AS ${target.dialect.text})`;
/** An exact integer result (a flag or bin, a count, a sum) in the dialect's lossless form for its size. */
const asInteger = (target: PushdownTarget, expression: string, size: IntegerSize) =>
  `CAST(${expression} AS ${target.dialect.integers[size]})`;

/** A filter as a predicate, refusing what `evaluate.ts` refuses, in the same words. */
function predicate(target: PushdownTarget, filter: Filter, params: Params): string {
  const spec = specOf(target, filter.field);
  if (spec.type === "string") {
    const value = text(target, spec);
    if (filter.op === "=" || filter.op === "!=")
      return `${value} ${filter.op === "=" ? "=" : "<>"} ${params.add(String(filter.value))}`;
    if (filter.op === "in") return `${value} IN (${filter.values.map((v) => params.add(String(v))).join(", ")})`;
    throw new ComputeError("query_invalid", `${filter.field} is categorical; it takes =, != and in, not ${filter.op}`);
  }
  const value = fixedPoint(target, spec);
  const scale = scaleOf(spec.type);
  if (filter.op === "between")
    return `${value} BETWEEN ${integer(target, scaled(filter.min, scale))} AND ${integer(target, scaled(filter.max, scale))}`;
  if (filter.op === "in") {
    if (filter.values.some((x) => typeof x !== "number"))
      throw new ComputeError("query_invalid", `${filter.field} is numeric; IN needs numbers`);
    return `${value} IN (${filter.values.map((x) => integer(target, scaled(x as number, scale))).join(", ")})`;
  }
  if (typeof filter.value !== "number")
    throw new ComputeError("query_invalid", `${filter.field} is numeric; compare it with a number`);
  return `${value} ${filter.op === "!=" ? "<>" : filter.op} ${integer(target, scaled(filter.value, scale))}`;
}

/**
 * The columns a statement reads, by NULL policy: a `refuse` column's NULLs are let through its own
 * predicate and counted, so that the job can fail naming it; a `skip` column's rows are left out.
 */
class NullRules {
  readonly refused = new Set<string>();
  readonly skipped = new Set<string>();

  constructor(private readonly notNull: ReadonlySet<string> = new Set()) {}

  private policy(spec: ColumnSpec) {
    return this.notNull.has(spec.name) ? "count" : policy(spec);
  }

  read(spec: ColumnSpec): void {
    if (this.policy(spec) === "refuse") this.refused.add(spec.name);
    if (this.policy(spec) === "skip") this.skipped.add(spec.name);
  }

  /** A predicate over a column, with its NULLs let through when they are to be counted and refused. */
  guard(spec: ColumnSpec, condition: string): string {
    return this.policy(spec) === "refuse"
      ? `(${condition} OR ${quoteIdentifier(spec.name)} IS NULL)`
      : `(${condition})`;
  }

  skips(): string[] {
    return [...this.skipped].map((name) => `${quoteIdentifier(name)} IS NOT NULL`);
  }

  /** One output column per refused column: how many rows held NULL there. */
  counters(target: PushdownTarget): { names: string[]; sql: string[] } {
    const names = [...this.refused];
    return {
      names,
      sql: names.map((name) =>
        asInteger(target, `sum(CASE WHEN ${quoteIdentifier(name)} IS NULL THEN 1 ELSE 0 END)`, "count"),
      ),
    };
  }
}

/** What a statement's measured value is: its fixed-point expression clamped to the bounds, and its bin. */
function measured(target: PushdownTarget, field: string | null, query: AggregateQuery) {
  if (query.aggregate !== "count" && field === null)
    throw new ComputeError("query_invalid", `a ${query.aggregate} needs a measured field`);
  const spec = field === null ? null : specOf(target, field);
  if (query.aggregate === "count" || !spec) return null;
  if (spec.type === "string")
    throw new ComputeError("field_not_numeric", `dataset ${target.datasetId}: ${spec.name} is not numeric`);
  const scale = scaleOf(spec.type);
  const raw = fixedPoint(target, spec);
  const clamped = query.bounds
    ? `CASE WHEN ${raw} IS NULL THEN NULL ELSE least(greatest(${raw}, ${integer(target, scaled(query.bounds.min, scale))}), ${integer(target, scaled(query.bounds.max, scale))}) END`
    : raw;
  const bin = query.bins
    ? `(${query.bins.map((edge) => `CASE WHEN ${clamped} >= ${integer(target, scaled(edge, scale))} THEN 1 ELSE 0 END`).join(" + ")})`
    : "0";
  return { spec, raw, clamped, bin };
}

function groupColumn(target: PushdownTarget, query: AggregateQuery): ColumnSpec | null {
  if (!query.groupBy) return null;
  const spec = specOf(target, query.groupBy.field);
  if (spec.type !== "string")
    throw new ComputeError("query_invalid", `group by a categorical field; ${query.groupBy.field} is numeric`);
  return spec;
}

/** The sums a statement returns per output row: count, then the sums the aggregate needs, and the largest magnitude. */
function sums(target: PushdownTarget, value: string | null, query: AggregateQuery, when = ""): string[] {
  const measures = measuresOf(query.aggregate);
  const only = (expression: string) => (when ? `CASE WHEN ${when} THEN ${expression} END` : expression);
  const out = [asInteger(target, when ? `sum(CASE WHEN ${when} THEN 1 ELSE 0 END)` : "count(*)", "count")];
  if (value && measures.includes("sum")) out.push(asInteger(target, `sum(${only(value)})`, "sum"));
  if (value && measures.includes("sumOfSquares"))
    out.push(asInteger(target, `sum(${only(`CAST(${value} AS ${target.dialect.wide}) * ${value}`)})`, "sum"));
  out.push(value ? asInteger(target, `max(abs(${only(value)}))`, "sum") : "NULL");
  return out;
}

/** A decoded output row: count, sum and sum of squares (zero when not asked), and the largest magnitude met. */
export interface CellTotals {
  count: bigint;
  sum: bigint;
  sumOfSquares: bigint;
  largest: bigint;
}

export function decodeTotals(
  query: AggregateQuery,
  cells: readonly SourceValue[],
  from = 0,
  measures = measuresOf(query.aggregate),
): CellTotals {
  let at = from;
  const count = BigInt(cells[at++] ?? 0);
  const sum = measures.includes("sum") ? BigInt(cells[at++] ?? 0) : 0n;
  const sumOfSquares = measures.includes("sumOfSquares") ? BigInt(cells[at++] ?? 0) : 0n;
  return { count, sum, sumOfSquares, largest: BigInt(cells[at] ?? 0) };
}

const MAX_ABS_BIGINT = BigInt(MAX_ABS_VALUE);

/**
 * Refuses an output row in which a refused column held NULL (its counters start at `from`), or
 * a value lay beyond ±2^48. Allocates nothing on a row that passes: it runs once a row.
 */
export function checkNullsAndRange(
  target: PushdownTarget,
  counters: { names: string[] },
  row: readonly SourceValue[],
  from: number,
  largest: bigint,
  measuredField: string | null,
): void {
  for (let i = 0; i < counters.names.length; i++) {
    const held = row[from + i];
    if (held === null || held === undefined || held === 0 || held === 0n || held === "0") continue;
    const count = BigInt(held);
    if (count > 0n)
      throw new ComputeError(
        "data_invalid",
        `dataset ${target.datasetId}: ${count} row${count === 1n ? "" : "s"} hold NULL in ${counters.names[i]}, which its owner declared never NULL`,
      );
  }
  if (largest > MAX_ABS_BIGINT)
    throw new ComputeError(
      "data_invalid",
      `dataset ${target.datasetId}: ${measuredField} holds a value beyond ±2^48 (in hundredths for decimals)`,
    );
}

/** How a statement's output rows are laid out after their leading key columns. */
export interface TotalsLayout {
  /** Output columns before the totals. */
  lead: number;
  /** How many totals columns follow (count, sums, largest). */
  totals: number;
  nullCounters: { names: string[] };
}

/**
 * An aggregate's cells: one output row per (group value, bin) that has rows, filtered in the
 * database, with its count and sums. Columns: group, bin, totals, then NULL counters.
 */
export function aggregateStatement(
  target: PushdownTarget,
  measuredField: string,
  query: AggregateQuery,
): Statement & { layout: TotalsLayout } {
  const params = new Params();
  const rules = new NullRules(target.notNull);
  const where: string[] = [];
  for (const filter of query.filters) {
    const spec = specOf(target, filter.field);
    rules.read(spec);
    where.push(rules.guard(spec, predicate(target, filter, params)));
  }
  const group = groupColumn(target, query);
  if (group && query.groupBy) {
    rules.read(group);
    const values = query.groupBy.values.map((v) => params.add(v)).join(", ");
    where.push(rules.guard(group, `${text(target, group)} IN (${values})`));
  }
  const value = measured(target, measuredField, query);
  if (value) {
    rules.read(value.spec);
    if (query.bins && policy(value.spec) === "count") where.push(`${value.raw} IS NOT NULL`);
  }
  where.push(...rules.skips());
  const counters = rules.counters(target);
  const totals = sums(target, value?.clamped ?? null, query);
  const sql = [
    `SELECT ${group ? text(target, group) : "NULL"}, ${asInteger(target, value?.bin ?? "0", "flag")}, ${[...totals, ...counters.sql].join(", ")}`,
    `FROM ${target.relation}`,
    where.length > 0 ? `WHERE ${where.join(" AND ")}` : "",
    "GROUP BY 1, 2",
  ]
    .filter(Boolean)
    .join(" ");
  return {
    sql,
    params: params.values,
    small: true,
    layout: { lead: 2, totals: totals.length, nullCounters: counters },
  };
}

/**
 * An owner's part of a join: for every key value, the rows it has (whatever the filters) and, for
 * its rows that pass the filters, the totals per (group value, bin). Columns: key, passes (1 or 0),
 * group, bin, rows, totals, then NULL counters.
 */
export function keyedStatement(
  target: PushdownTarget,
  keyField: string,
  measuredField: string | null,
  query: AggregateQuery,
): Statement & { layout: TotalsLayout } {
  const params = new Params();
  const rules = new NullRules(target.notNull);
  const key = specOf(target, keyField);
  if (key.type !== "string")
    throw new ComputeError("field_unknown", `dataset ${target.datasetId} has no text key field ${keyField}`);
  rules.read(key);
  const conditions: string[] = [];
  for (const filter of query.filters) {
    const spec = specOf(target, filter.field);
    rules.read(spec);
    conditions.push(`(${predicate(target, filter, params)})`);
  }
  const group = groupColumn(target, query);
  if (group && query.groupBy) {
    rules.read(group);
    conditions.push(`${text(target, group)} IN (${query.groupBy.values.map((v) => params.add(v)).join(", ")})`);
  }
  const value = measured(target, measuredField, query);
  if (value) {
    rules.read(value.spec);
    if (query.bins) conditions.push(`${value.raw} IS NOT NULL`);
  }
  const passes = conditions.length > 0 ? conditions.join(" AND ") : "TRUE";
  const counters = rules.counters(target);
  const totals = sums(target, value?.clamped ?? null, query, passes);
  const where = rules.skips();
  const sql = [
    `SELECT ${text(target, key)}, ${asInteger(target, `CASE WHEN ${passes} THEN 1 ELSE 0 END`, "flag")},`,
    `CASE WHEN ${passes} THEN ${group ? text(target, group) : "''"} END,`,
    `${asInteger(target, `CASE WHEN ${passes} THEN ${value?.bin ?? "0"} ELSE 0 END`, "flag")},`,
    `${asInteger(target, "count(*)", "count")}, ${[...totals, ...counters.sql].join(", ")}`,
    `FROM ${target.relation}`,
    where.length > 0 ? `WHERE ${where.join(" AND ")}` : "",
    "GROUP BY 1, 2, 3, 4",
  ]
    .filter(Boolean)
    .join(" ");
  return { sql, params: params.values, layout: { lead: 5, totals: totals.length, nullCounters: counters } };
}

/**
 * The named numeric fields of the rows whose key is among `ids` (bound as parameters). Columns: the
 * position in `ids` of the row's key (from 1), then each field in the node's fixed point. A row with
 * a NULL field is returned with it NULL.
 */
export function entitiesStatement(
  target: PushdownTarget,
  keyField: string,
  ids: readonly string[],
  fields: readonly string[],
): Statement {
  const params = new Params();
  const key = specOf(target, keyField);
  if (key.type !== "string")
    throw new ComputeError("dataset_unknown", `dataset ${target.datasetId} has no text column ${keyField}`);
  const values = fields.map((name) => {
    const spec = specOf(target, name);
    if (spec.type === "string")
      throw new ComputeError("dataset_unknown", `dataset ${target.datasetId} has no numeric column ${name}`);
    return asInteger(target, fixedPoint(target, spec), "feature");
  });
  // The ids travel as one parameter joined as a table, so any number of them cost one scan of the source.
  const joined = target.dialect.joinsIds && !ids.some((id) => id.includes("\n"));
  const wanted = target.dialect.idsTable(params.add(joined ? ids.join("\n") : ids), joined);
  return {
    sql: `SELECT ${[asInteger(target, "wanted_ids.position", "flag"), ...values].join(", ")} FROM ${target.relation} JOIN ${wanted} ON ${text(target, key)} = wanted_ids.wanted`,
    params: params.values,
  };
}

/**
 * Every key of a column, with a numeric column's value alongside when asked for; rows whose key is
 * NULL are left out unless the key is declared never NULL (then they come back, and are refused).
 */
export function identifiersStatement(target: PushdownTarget, keyField: string, valueField?: string): Statement {
  const key = specOf(target, keyField);
  if (key.type !== "string")
    throw new ComputeError("dataset_unknown", `dataset ${target.datasetId} has no text column ${keyField}`);
  const columns = [text(target, key)];
  const where: string[] = [];
  if (policy(key) !== "refuse") where.push(`${quoteIdentifier(key.name)} IS NOT NULL`);
  if (valueField !== undefined) {
    const spec = specOf(target, valueField);
    if (spec.type === "string")
      throw new ComputeError("dataset_unknown", `dataset ${target.datasetId} has no numeric column ${valueField}`);
    columns.push(asText(target, fixedPoint(target, spec)));
    if (policy(spec) === "skip") where.push(`${quoteIdentifier(spec.name)} IS NOT NULL`);
  }
  return {
    sql: `SELECT ${columns.join(", ")} FROM ${target.relation}${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""}`,
    params: [],
  };
}
