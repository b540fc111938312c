import { readFileSync } from "node:fs";
import { ComputeError } from "../errors.js";
import { type KeyedFactors, type KeyedFactorsInput, keyedFactors } from "../join/keyed-factors.js";
import { aggregateColumns } from "../query/evaluate.js";
import type { AggregateQuery } from "../query/schema.js";

export type ColumnType = "string" | "integer" | "decimal";

export interface ColumnSpec {
  name: string;
  type: ColumnType;
  /** The field's classification level, as the owner registered it; needed to apply auto-approval rules. */
  level?: number;
}

/**
 * Fixed point: a decimal column is kept as an integer number of hundredths (10^DECIMAL_PLACES),
 * rounded half away from zero when imported; integers are kept as they are. Every kept value must
 * lie within ±MAX_ABS_VALUE, so that running sums stay exact in double precision (see evaluate.ts).
 */
export const DECIMAL_PLACES = 2;
export const MAX_ABS_VALUE = 2 ** 48;

export type Column =
  | { spec: ColumnSpec & { type: "integer" | "decimal" }; values: Float64Array }
  | { spec: ColumnSpec & { type: "string" }; codes: Int32Array; dictionary: string[] };

/** A dataset held column by column: numbers as scaled integers, strings dictionary-encoded. */
export interface LocalDataset {
  id: string;
  rowCount: number;
  columns: Map<string, Column>;
}

/** The data a compute node holds. It never leaves the node: only aggregates computed here do. */
export interface NodeDataStore {
  datasetIds(): string[];
  describe(datasetId: string): { id: string; columns: ColumnSpec[]; rowCount: number } | undefined;
  /** An owner's part of a joined aggregate: each distinct key's own cells (`join/keyed-factors.ts`). */
  joinFactors(datasetId: string, input: KeyedFactorsInput): KeyedFactors;
  /** The query's cells over this dataset, the measured field's values summed as the query asks. */
  aggregate(datasetId: string, measuredField: string, query: AggregateQuery): bigint[];
  /** The row of each id in a text key column (its first row where an id repeats), or -1 where it is absent. */
  rowsOf(datasetId: string, keyField: string, ids: readonly string[]): Int32Array;
  /** A numeric column as kept: integers, decimals in hundredths. */
  numbers(datasetId: string, field: string): Float64Array;
  /** Every value of a text column, row by row. */
  strings(datasetId: string, field: string): string[];
}

export function scaleOf(type: ColumnType): number {
  return type === "decimal" ? 10 ** DECIMAL_PLACES : 1;
}

function parseNumber(cell: string, spec: ColumnSpec, where: () => string): number {
  const pattern = spec.type === "integer" ? /^-?\d+$/ : /^-?\d+(\.\d+)?$/;
  if (!pattern.test(cell))
    throw new ComputeError(
      "data_invalid",
      `${where()}: ${spec.name} is not ${spec.type === "integer" ? "an integer" : "a decimal"}`,
    );
  const scaled =
    spec.type === "integer" ? Number(cell) : Math.sign(Number(cell)) * Math.round(Math.abs(Number(cell)) * 100);
  if (!Number.isSafeInteger(scaled) || Math.abs(scaled) > MAX_ABS_VALUE) {
    throw new ComputeError("data_invalid", `${where()}: ${spec.name} is beyond ±2^48 (in hundredths for decimals)`);
  }
  return scaled;
}

/** Builds a columnar dataset from rows of cells as text (a CSV's, or a test's). */
export function datasetFromRows(
  id: string,
  columns: ColumnSpec[],
  rows: Record<string, string | number | bigint>[],
): LocalDataset {
  const built = new Map<string, Column>();
  for (const spec of columns) {
    const where = (i: number) => () => `dataset ${id}: row ${i + 1}`;
    if (spec.type === "string") {
      const dictionary: string[] = [];
      const lookup = new Map<string, number>();
      const codes = new Int32Array(rows.length);
      rows.forEach((row, i) => {
        const value = String(row[spec.name] ?? "");
        let code = lookup.get(value);
        if (code === undefined) {
          code = dictionary.push(value) - 1;
          lookup.set(value, code);
        }
        codes[i] = code;
      });
      built.set(spec.name, { spec: { ...spec, type: "string" }, codes, dictionary });
    } else {
      const values = new Float64Array(rows.length);
      rows.forEach((row, i) => {
        values[i] = parseNumber(String(row[spec.name] ?? ""), spec, where(i));
      });
      built.set(spec.name, { spec: { ...spec, type: spec.type }, values });
    }
  }
  return { id, rowCount: rows.length, columns: built };
}

/** Parses a CSV file whose header names the columns (no quoting: cells hold no commas). */
export function parseCsvDataset(id: string, text: string, columns: ColumnSpec[]): LocalDataset {
  const lines = text.split(/\r?\n/).filter((line) => line.length > 0);
  const header = lines.shift()?.split(",") ?? [];
  for (const column of columns) {
    if (!header.includes(column.name))
      throw new ComputeError("data_invalid", `dataset ${id}: column ${column.name} is missing`);
  }
  const rows = lines.map((line, lineIndex) => {
    const cells = line.split(",");
    if (cells.length !== header.length) {
      throw new ComputeError(
        "data_invalid",
        `dataset ${id}: line ${lineIndex + 2} has ${cells.length} cells, expected ${header.length}`,
      );
    }
    return Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ""]));
  });
  return datasetFromRows(id, columns, rows);
}

export function loadCsvDataset(id: string, file: string, columns: ColumnSpec[]): LocalDataset {
  return parseCsvDataset(id, readFileSync(file, "utf8"), columns);
}

export function createMemoryDataStore(datasets: LocalDataset[]): NodeDataStore {
  const byId = new Map(datasets.map((d) => [d.id, d]));
  const held = (datasetId: string) => {
    const dataset = byId.get(datasetId);
    if (!dataset) throw new ComputeError("dataset_unknown", `this node holds no dataset ${datasetId}`);
    return dataset;
  };
  // Key columns are indexed on first use and kept: scoring looks up thousands of ids at a time.
  const indexes = new Map<string, Map<string, number>>();
  const indexOf = (dataset: LocalDataset, keyField: string) => {
    const name = `${dataset.id}.${keyField}`;
    let index = indexes.get(name);
    if (!index) {
      const column = dataset.columns.get(keyField);
      if (column?.spec.type !== "string" || !("codes" in column)) {
        throw new ComputeError("dataset_unknown", `dataset ${dataset.id} has no text column ${keyField}`);
      }
      index = new Map();
      for (let row = 0; row < column.codes.length; row++) {
        const key = column.dictionary[column.codes[row] as number] as string;
        if (!index.has(key)) index.set(key, row);
      }
      indexes.set(name, index);
    }
    return index;
  };
  return {
    joinFactors: (datasetId, input) => keyedFactors(held(datasetId), input),
    rowsOf: (datasetId, keyField, ids) => {
      const index = indexOf(held(datasetId), keyField);
      return Int32Array.from(ids, (id) => index.get(id) ?? -1);
    },
    numbers: (datasetId, field) => {
      const column = held(datasetId).columns.get(field);
      if (!column || !("values" in column)) {
        throw new ComputeError("dataset_unknown", `dataset ${datasetId} has no numeric column ${field}`);
      }
      return column.values;
    },
    strings: (datasetId, field) => {
      const column = held(datasetId).columns.get(field);
      if (!column || !("codes" in column)) {
        throw new ComputeError("dataset_unknown", `dataset ${datasetId} has no text column ${field}`);
      }
      return Array.from(column.codes, (code) => column.dictionary[code] as string);
    },
    datasetIds: () => [...byId.keys()],
    describe: (datasetId) => {
      const dataset = byId.get(datasetId);
      return (
        dataset && {
          id: dataset.id,
          columns: [...dataset.columns.values()].map((c) => c.spec),
          rowCount: dataset.rowCount,
        }
      );
    },
    aggregate: (datasetId, measuredField, query) => aggregateColumns(held(datasetId), measuredField, query),
  };
}
