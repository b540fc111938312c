import postgres from "postgres";
import { ComputeError } from "../errors.js";
import type { NodeConfig } from "./config.js";
import { datasetFromRows, type LocalDataset, loadCsvDataset } from "./datastore.js";

type DatasetSource = NodeConfig["datasets"][number];

/** Reads a table of the owner's own PostgreSQL into the node, every value as text, exactly. */
async function loadPostgresDataset(source: DatasetSource & { postgres: NonNullable<DatasetSource["postgres"]> }) {
  const sql = postgres(source.postgres.url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    const columns = source.columns.map((c) => sql`${sql(c.name)}::text as ${sql(c.name)}`);
    const selection = columns.reduce((all, column, i) => (i === 0 ? column : sql`${all}, ${column}`));
    const rows = await sql<Record<string, string | null>[]>`
      select ${selection} from ${sql(source.postgres.schema)}.${sql(source.postgres.table)}`;
    for (const [i, row] of rows.entries()) {
      const missing = source.columns.find((c) => row[c.name] === null);
      if (missing) throw new ComputeError("data_invalid", `dataset ${source.id}: row ${i + 1} has no ${missing.name}`);
    }
    return datasetFromRows(source.id, source.columns, rows as Record<string, string>[]);
  } catch (error) {
    if (error instanceof ComputeError) throw error;
    throw new ComputeError(
      "data_invalid",
      `dataset ${source.id}: cannot read ${source.postgres.schema}.${source.postgres.table}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Imports a dataset from where its owner keeps it: a CSV file or a PostgreSQL table. */
export async function loadDataset(source: DatasetSource): Promise<LocalDataset> {
  if (source.postgres) return loadPostgresDataset({ ...source, postgres: source.postgres });
  return loadCsvDataset(source.id, source.file as string, source.columns);
}
