import path from "node:path";
import { DuckDbFiles } from "../sources/duckdb-engine.js";
import type { SqlEngine } from "../sources/engine.js";
import { MysqlPools } from "../sources/mysql-engine.js";
import { PostgresPools } from "../sources/postgres-engine.js";
import { createSqlDataStore } from "../sources/sql-store.js";
import type { NodeConfig } from "./config.js";
import type { NodeDataStore } from "./datastore.js";

type DatasetSource = NodeConfig["datasets"][number];

/**
 * The node's datasets where their owner keeps them: PostgreSQL and MySQL tables through bounded
 * read-only pools, files through the node's embedded DuckDB. Nothing is read until a job asks.
 */
export function openDataStore(config: Pick<NodeConfig, "datasets" | "sources" | "workDirectory">): NodeDataStore {
  const { sources } = config;
  const poolSettings = { maxConnections: sources.maxConnections, statementTimeoutMs: sources.statementTimeoutMs };
  const pools = new PostgresPools(poolSettings);
  const mysqlPools = new MysqlPools(poolSettings);
  const files = new DuckDbFiles({
    threads: sources.duckdbThreads,
    memoryLimit: sources.duckdbMemoryLimit,
    tempDirectory: path.join(config.workDirectory, "duckdb-spill"),
    cacheDirectory: path.join(config.workDirectory, "utf8-copies"),
    statementTimeoutMs: sources.statementTimeoutMs,
  });
  const engineOf = (source: DatasetSource): SqlEngine => {
    if (source.postgres) return pools.engine(source.postgres);
    if (source.mysql) return mysqlPools.engine(source.mysql);
    const settings = source.files ?? { path: source.file as string, format: "csv", encoding: "utf-8", delimiter: "," };
    return files.engine(settings);
  };
  const store = createSqlDataStore(
    config.datasets.map((source) => ({ id: source.id, columns: source.columns, engine: engineOf(source) })),
  );
  return {
    ...store,
    close: async () => {
      await store.close();
      await Promise.all([pools.close(), mysqlPools.close(), files.close()]);
    },
  };
}
