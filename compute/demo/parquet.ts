import { rename } from "node:fs/promises";
import { DuckDBInstance } from "@duckdb/node-api";
import type { ColumnSpec } from "../node/datastore.js";
import { quoteIdentifier, quoteLiteral } from "../sources/dialect.js";

const TYPES = { string: "VARCHAR", integer: "BIGINT", decimal: "DECIMAL(18,2)" } as const;

/** Writes a demo owner's CSV as a typed Parquet file, as a department's warehouse export would be. */
export async function writeParquetFromCsv(csvFile: string, parquetFile: string, columns: ColumnSpec[]): Promise<void> {
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  try {
    const connection = await instance.connect();
    const select = columns
      .map((c) => `CAST(${quoteIdentifier(c.name)} AS ${TYPES[c.type]}) AS ${quoteIdentifier(c.name)}`)
      .join(", ");
    const partial = `${parquetFile}.partial`;
    await connection.run(
      `COPY (SELECT ${select} FROM read_csv(${quoteLiteral(csvFile)}, header = true, all_varchar = true)) TO ${quoteLiteral(partial)} (FORMAT parquet)`,
    );
    connection.closeSync();
    await rename(partial, parquetFile);
  } finally {
    instance.closeSync();
  }
}
