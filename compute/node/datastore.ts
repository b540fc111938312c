import { readFileSync } from "node:fs";
import { ComputeError } from "../errors.js";

export interface ColumnSpec {
  name: string;
  type: "string" | "integer";
  /** The field's classification level, as the owner registered it; needed to apply auto-approval rules. */
  level?: number;
}

export interface LocalDataset {
  id: string;
  columns: ColumnSpec[];
  rows: Record<string, string | bigint>[];
}

/** The data a compute node holds. It never leaves the node: only aggregates computed here do. */
export interface NodeDataStore {
  datasetIds(): string[];
  describe(datasetId: string): { id: string; columns: ColumnSpec[]; rowCount: number } | undefined;
  sum(datasetId: string, field: string): bigint;
}

/** Parses a CSV file whose header names the columns; integer columns are parsed exactly as bigint. */
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
    const row: Record<string, string | bigint> = {};
    for (const column of columns) {
      const cell = cells[header.indexOf(column.name)] ?? "";
      if (column.type === "integer") {
        if (!/^-?\d+$/.test(cell)) {
          throw new ComputeError(
            "data_invalid",
            `dataset ${id}: line ${lineIndex + 2}, ${column.name} is not an integer`,
          );
        }
        row[column.name] = BigInt(cell);
      } else {
        row[column.name] = cell;
      }
    }
    return row;
  });
  return { id, columns, rows };
}

export function loadCsvDataset(id: string, file: string, columns: ColumnSpec[]): LocalDataset {
  return parseCsvDataset(id, readFileSync(file, "utf8"), columns);
}

export function createMemoryDataStore(datasets: LocalDataset[]): NodeDataStore {
  const byId = new Map(datasets.map((d) => [d.id, d]));
  return {
    datasetIds: () => [...byId.keys()],
    describe: (datasetId) => {
      const dataset = byId.get(datasetId);
      return dataset && { id: dataset.id, columns: dataset.columns, rowCount: dataset.rows.length };
    },
    sum: (datasetId, field) => {
      const dataset = byId.get(datasetId);
      if (!dataset) throw new ComputeError("dataset_unknown", `this node holds no dataset ${datasetId}`);
      const column = dataset.columns.find((c) => c.name === field);
      if (column?.type !== "integer") {
        throw new ComputeError("field_not_summable", `dataset ${datasetId} has no integer field ${field}`);
      }
      return dataset.rows.reduce((total, row) => total + (row[field] as bigint), 0n);
    },
  };
}
