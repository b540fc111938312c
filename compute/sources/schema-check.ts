import { ComputeError } from "../errors.js";
import type { ColumnSpec, ColumnType } from "../node/datastore.js";
import type { SourceColumn } from "./engine.js";

// Whether a live table still holds the columns its owner registered, before a job reads it. A text
// column (a CSV's, read as text) may stand for any type: its values are then cast per job, and a
// value that is not a number fails that job.

const TEXT =
  /^(text|varchar|character varying|character|char|bpchar|name|uuid|string|tinytext|mediumtext|longtext|enum)(\(|$)/;
const INTEGER =
  /^(smallint|integer|int|bigint|int2|int4|int8|tinyint|mediumint|hugeint|utinyint|usmallint|uinteger|ubigint)$/;
const DECIMAL = /^(numeric|decimal|real|double|double precision|float|float4|float8)(\(|$)/;

function accepts(type: ColumnType, databaseType: string): boolean {
  if (TEXT.test(databaseType)) return true;
  if (type === "string") return false;
  if (INTEGER.test(databaseType)) return true;
  return type === "decimal" && DECIMAL.test(databaseType);
}

/** Refuses, naming the column, a relation that lacks a registered column or holds it as another kind of value. */
export function checkColumns(
  datasetId: string,
  where: string,
  registered: readonly ColumnSpec[],
  found: ReadonlyMap<string, SourceColumn>,
): void {
  for (const spec of registered) {
    const type = found.get(spec.name)?.type;
    if (type === undefined)
      throw new ComputeError(
        "data_invalid",
        `dataset ${datasetId}: column ${spec.name} is not in ${where} (or this node may not read it); its registered schema needs it`,
      );
    if (!accepts(spec.type, type))
      throw new ComputeError(
        "data_invalid",
        `dataset ${datasetId}: column ${spec.name} is ${type} in ${where}; its registered schema says ${spec.type}`,
      );
  }
}
