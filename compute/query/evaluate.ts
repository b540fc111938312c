import { ComputeError } from "../errors.js";
import { scaleOf } from "../node/datastore.js";
import type { Column, LocalDataset } from "../node/memory-store.js";
import { type AggregateQuery, type Filter, measuresOf } from "./schema.js";

// Runs inside an owner's node only: evaluates a query over the node's own columns and returns the
// cells (groups × bins × measures) as exact integers. Nothing here leaves the node but that vector,
// and it leaves only as secret shares.

const FLUSH_AT = 2 ** 52;

function column(dataset: LocalDataset, name: string): Column {
  const found = dataset.columns.get(name);
  if (!found) throw new ComputeError("field_unknown", `dataset ${dataset.id} has no field ${name}`);
  return found;
}

/** A query constant in the column's fixed point, rounded half away from zero. */
function scaled(value: number, scale: number): number {
  return Math.sign(value) * Math.round(Math.abs(value) * scale);
}

function numberMatcher(filter: Filter, scale: number): (v: number) => boolean {
  if (filter.op === "between") {
    const [lo, hi] = [scaled(filter.min, scale), scaled(filter.max, scale)];
    return (v) => v >= lo && v <= hi;
  }
  if (filter.op === "in") {
    if (filter.values.some((x) => typeof x !== "number"))
      throw new ComputeError("query_invalid", `${filter.field} is numeric; IN needs numbers`);
    const set = new Set(filter.values.map((x) => scaled(x as number, scale)));
    return (v) => set.has(v);
  }
  if (typeof filter.value !== "number")
    throw new ComputeError("query_invalid", `${filter.field} is numeric; compare it with a number`);
  const c = scaled(filter.value, scale);
  switch (filter.op) {
    case "=":
      return (v) => v === c;
    case "!=":
      return (v) => v !== c;
    case "<":
      return (v) => v < c;
    case "<=":
      return (v) => v <= c;
    case ">":
      return (v) => v > c;
    case ">=":
      return (v) => v >= c;
  }
}

function applyFilter(dataset: LocalDataset, filter: Filter, mask: Uint8Array): void {
  const col = column(dataset, filter.field);
  if (col.spec.type === "string") {
    const { codes, dictionary } = col as Extract<Column, { codes: Int32Array }>;
    let wanted: Set<string>;
    let keep: boolean;
    if (filter.op === "=" || filter.op === "!=") {
      wanted = new Set([String(filter.value)]);
      keep = filter.op === "=";
    } else if (filter.op === "in") {
      wanted = new Set(filter.values.map(String));
      keep = true;
    } else {
      throw new ComputeError(
        "query_invalid",
        `${filter.field} is categorical; it takes =, != and in, not ${filter.op}`,
      );
    }
    const passes = Uint8Array.from(dictionary, (value) => (wanted.has(value) === keep ? 1 : 0));
    for (let i = 0; i < mask.length; i++) if (mask[i] && !passes[codes[i] as number]) mask[i] = 0;
    return;
  }
  const { values } = col as Extract<Column, { values: Float64Array }>;
  const matches = numberMatcher(filter, scaleOf(col.spec.type));
  for (let i = 0; i < mask.length; i++) if (mask[i] && !matches(values[i] as number)) mask[i] = 0;
}

function groupIndex(dataset: LocalDataset, query: AggregateQuery): Int32Array | null {
  if (!query.groupBy) return null;
  const col = column(dataset, query.groupBy.field);
  if (col.spec.type !== "string")
    throw new ComputeError("query_invalid", `group by a categorical field; ${query.groupBy.field} is numeric`);
  const { codes, dictionary } = col as Extract<Column, { codes: Int32Array }>;
  const position = new Map(query.groupBy.values.map((v, i) => [v, i]));
  const byCode = Int32Array.from(dictionary, (value) => position.get(value) ?? -1);
  return Int32Array.from(codes, (code) => byCode[code] as number);
}

/** Where each row of a dataset falls for a query: its cell (−1 when filtered or grouped out) and clamped value. */
export interface ClassifiedRows {
  cellOf: Int32Array;
  /** The measured value of each row, clamped to the bounds; null for a count. */
  values: Float64Array | null;
  cells: number;
  measures: ("count" | "sum" | "sumOfSquares")[];
}

/** Applies a query's filters, group-by, bounds and bins to every row of a dataset, once. */
export function classifyRows(
  dataset: LocalDataset,
  measuredField: string | null,
  query: AggregateQuery,
): ClassifiedRows {
  const measures = measuresOf(query.aggregate);
  const rows = dataset.rowCount;
  const mask = new Uint8Array(rows).fill(1);
  for (const filter of query.filters) applyFilter(dataset, filter, mask);
  const groups = groupIndex(dataset, query);

  const needsNumbers = query.aggregate !== "count";
  if (needsNumbers && measuredField === null)
    throw new ComputeError("query_invalid", `a ${query.aggregate} needs a measured field`);
  const measured = measuredField === null ? null : column(dataset, measuredField);
  if (needsNumbers && measured?.spec.type === "string") {
    throw new ComputeError("field_not_numeric", `dataset ${dataset.id}: ${measuredField} is not numeric`);
  }
  const source = needsNumbers ? (measured as Extract<Column, { values: Float64Array }>).values : null;
  const scale = measured ? scaleOf(measured.spec.type) : 1;
  const lo = query.bounds ? scaled(query.bounds.min, scale) : Number.NEGATIVE_INFINITY;
  const hi = query.bounds ? scaled(query.bounds.max, scale) : Number.POSITIVE_INFINITY;
  const edges = query.bins?.map((e) => scaled(e, scale)) ?? [];
  const binsPerGroup = edges.length + 1;
  const cells = (query.groupBy?.values.length ?? 1) * (query.bins ? binsPerGroup : 1);

  const cellOf = new Int32Array(rows).fill(-1);
  const values = source ? new Float64Array(rows) : null;
  for (let i = 0; i < rows; i++) {
    if (!mask[i]) continue;
    const group = groups ? (groups[i] as number) : 0;
    if (group < 0) continue;
    let cell = group;
    if (source && values) {
      const value = Math.min(hi, Math.max(lo, source[i] as number));
      values[i] = value;
      if (query.bins) {
        let bin = 0;
        let top = edges.length;
        while (bin < top) {
          const middle = (bin + top) >> 1;
          if ((edges[middle] as number) <= value) bin = middle + 1;
          else top = middle;
        }
        cell = group * binsPerGroup + bin;
      }
    }
    cellOf[i] = cell;
  }
  return { cellOf, values, cells, measures };
}

/**
 * Adds rows into slots (a query's cells, or each key's cells for a join), each slot its count and
 * then its sums as the measures ask, exactly: sums run in double precision and are flushed to
 * bigint before they could lose a bit; sums of squares are bigints.
 */
export class SlotSums {
  private readonly counts: Float64Array;
  private readonly sums: Float64Array | null;
  private readonly bigSums = new Map<number, bigint>();
  private readonly squares: Map<number, bigint> | null;

  constructor(
    slots: number,
    readonly measures: ClassifiedRows["measures"],
  ) {
    this.counts = new Float64Array(slots);
    this.sums = measures.includes("sum") ? new Float64Array(slots) : null;
    this.squares = measures.includes("sumOfSquares") ? new Map() : null;
  }

  add(slot: number, value: number): void {
    this.counts[slot] = (this.counts[slot] as number) + 1;
    if (this.sums) {
      const sum = (this.sums[slot] as number) + value;
      if (Math.abs(sum) >= FLUSH_AT) {
        this.bigSums.set(slot, (this.bigSums.get(slot) ?? 0n) + BigInt(sum));
        this.sums[slot] = 0;
      } else this.sums[slot] = sum;
    }
    if (this.squares) this.squares.set(slot, (this.squares.get(slot) ?? 0n) + BigInt(value) * BigInt(value));
  }

  /** A slot's measure: a number while it is a safe integer, a bigint past that. */
  get(slot: number, measure: ClassifiedRows["measures"][number]): number | bigint {
    if (measure === "count") return this.counts[slot] as number;
    if (measure === "sumOfSquares") return this.squares?.get(slot) ?? 0n;
    const big = this.bigSums.get(slot);
    const sum = this.sums?.[slot] ?? 0;
    return big === undefined ? sum : big + BigInt(sum);
  }
}

/** The cells of a query over one dataset: for each cell, its count, then its sums as the aggregate needs. */
export function aggregateColumns(dataset: LocalDataset, measuredField: string, query: AggregateQuery): bigint[] {
  const { cellOf, values, cells, measures } = classifyRows(dataset, measuredField, query);
  const sums = new SlotSums(cells, measures);
  for (let i = 0; i < cellOf.length; i++) {
    const cell = cellOf[i] as number;
    if (cell >= 0) sums.add(cell, values ? (values[i] as number) : 0);
  }
  const vector: bigint[] = [];
  for (let cell = 0; cell < cells; cell++) for (const measure of measures) vector.push(BigInt(sums.get(cell, measure)));
  return vector;
}
