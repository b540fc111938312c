import { ComputeError } from "../errors.js";
import { keyedFactors } from "../join/keyed-factors.js";
import { aggregateColumns } from "../query/evaluate.js";
import { type ColumnSpec, MAX_ABS_VALUE, type NodeDataStore } from "./datastore.js";

export type Column =
  | { spec: ColumnSpec & { type: "integer" | "decimal" }; values: Float64Array }
  | { spec: ColumnSpec & { type: "string" }; codes: Int32Array; dictionary: string[] };

/** A dataset held column by column in memory: numbers as scaled integers, strings dictionary-encoded. */
export interface LocalDataset {
  id: string;
  rowCount: number;
  columns: Map<string, Column>;
}

const IDENTIFIER_SLICE = 100_000;

/**
 * A cell in the column's fixed point, exactly: a decimal's hundredths are read off its digits and
 * rounded half away from zero on the third, as PostgreSQL's and DuckDB's round() of a numeric do.
 */
export function fixedPointOf(cell: string, spec: ColumnSpec, where: () => string): number {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(cell);
  if (!match || (spec.type === "integer" && match[3] !== undefined))
    throw new ComputeError(
      "data_invalid",
      `${where()}: ${spec.name} is not ${spec.type === "integer" ? "an integer" : "a decimal"}`,
    );
  const [, sign, whole, fraction = ""] = match;
  const magnitude =
    spec.type === "integer"
      ? Number(whole)
      : Number(whole) * 100 + Number(fraction.slice(0, 2).padEnd(2, "0")) + (fraction.charCodeAt(2) >= 53 ? 1 : 0);
  if (!Number.isSafeInteger(magnitude) || magnitude > MAX_ABS_VALUE) {
    throw new ComputeError("data_invalid", `${where()}: ${spec.name} is beyond ±2^48 (in hundredths for decimals)`);
  }
  return sign === "-" ? -magnitude : magnitude;
}

/** Builds a columnar dataset from rows of cells (a test's, a benchmark's); a missing cell is refused. */
export function datasetFromRows(
  id: string,
  columns: ColumnSpec[],
  rows: Record<string, string | number | bigint>[],
): LocalDataset {
  const built = new Map<string, Column>();
  for (const spec of columns) {
    const where = (i: number) => () => `dataset ${id}: row ${i + 1}`;
    const cellOf = (row: Record<string, string | number | bigint>, i: number) => {
      const cell = row[spec.name];
      if (cell === undefined) throw new ComputeError("data_invalid", `${where(i)()} has no ${spec.name}`);
      return String(cell);
    };
    if (spec.type === "string") {
      const dictionary: string[] = [];
      const lookup = new Map<string, number>();
      const codes = new Int32Array(rows.length);
      rows.forEach((row, i) => {
        const value = cellOf(row, i);
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
        values[i] = fixedPointOf(cellOf(row, i), spec, where(i));
      });
      built.set(spec.name, { spec: { ...spec, type: spec.type }, values });
    }
  }
  return { id, rowCount: rows.length, columns: built };
}

function textColumn(dataset: LocalDataset, field: string) {
  const column = dataset.columns.get(field);
  if (!column || !("codes" in column)) {
    throw new ComputeError("dataset_unknown", `dataset ${dataset.id} has no text column ${field}`);
  }
  return column;
}

function numericColumn(dataset: LocalDataset, field: string) {
  const column = dataset.columns.get(field);
  if (!column || !("values" in column)) {
    throw new ComputeError("dataset_unknown", `dataset ${dataset.id} has no numeric column ${field}`);
  }
  return column.values;
}

/**
 * A store over datasets held whole in memory: the reference every live source's pushdown is tested
 * against (`../sources/`), and the fixture of protocol tests. An id repeated in a key column is
 * looked up at its first row.
 */
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
      const column = textColumn(dataset, keyField);
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
    joinFactors: async (datasetId, input) => keyedFactors(held(datasetId), input),
    aggregate: async (datasetId, measuredField, query) => aggregateColumns(held(datasetId), measuredField, query),
    entities: async (datasetId, keyField, ids, fields) => {
      const dataset = held(datasetId);
      const index = indexOf(dataset, keyField);
      const rows = Int32Array.from(ids, (id) => index.get(id) ?? -1);
      const found = rows.filter((row) => row >= 0);
      return {
        held: Uint8Array.from(rows, (row) => (row >= 0 ? 1 : 0)),
        fields: fields.map((field) => {
          const values = numericColumn(dataset, field);
          return Float64Array.from(found, (row) => values[row] as number);
        }),
      };
    },
    identifiers: (datasetId, keyField, valueField) => {
      const dataset = held(datasetId);
      const column = textColumn(dataset, keyField);
      const values = valueField === undefined ? undefined : numericColumn(dataset, valueField);
      return (async function* () {
        for (let from = 0; from < dataset.rowCount; from += IDENTIFIER_SLICE) {
          const to = Math.min(dataset.rowCount, from + IDENTIFIER_SLICE);
          const ids = Array.from(column.codes.subarray(from, to), (code) => column.dictionary[code] as string);
          yield values ? { ids, values: values.subarray(from, to) } : { ids };
        }
      })();
    },
    close: async () => {},
  };
}
