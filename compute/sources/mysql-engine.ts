import type { Connection as StreamingConnection } from "mysql2";
import type { Pool, PoolConnection } from "mysql2/promise";
import { MYSQL, quoteIdentifier } from "./dialect.js";
import type { SourceValue, SqlEngine } from "./engine.js";
import type { Statement } from "./pushdown.js";

export interface MysqlSourceSettings {
  /** mysql://user:password@host:port/database */
  url: string;
  table: string;
}

export interface MysqlPoolSettings {
  /** The most connections the node holds to one server, for all its datasets there. */
  maxConnections: number;
  /** How long one statement may run before the server stops it (ms). */
  statementTimeoutMs: number;
}

const ROWS_PER_BATCH = 10_000;

/** The database a mysql:// URL names (its path). */
export function databaseOf(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ""));
  if (!/^[A-Za-z0-9_$]{1,64}$/.test(name)) throw new Error(`${url.replace(/\/\/[^@]*@/, "//")} names no database`);
  return name;
}

/**
 * A statement written with PostgreSQL's `$n` placeholders (`pushdown.ts`) in MySQL's `?` ones,
 * each occurrence bound in turn; a list binds as one JSON array (the ids a lookup reads through
 * JSON_TABLE). Placeholders are looked for outside quoted literals and identifiers only.
 */
export function positional(statement: Statement): { sql: string; values: string[] } {
  const values: string[] = [];
  const sql = statement.sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|\$(\d+)/g, (match, index?: string) => {
    if (index === undefined) return match;
    const value = statement.params[Number(index) - 1];
    if (value === undefined) throw new Error(`statement has no parameter ${match}`);
    values.push(typeof value === "string" ? value : JSON.stringify(value));
    return "?";
  });
  return { sql, values };
}

/**
 * The owner's MySQL or MariaDB servers a node reads, one bounded pool per server. Every session is
 * set up before its first statement: read-only (`SET SESSION TRANSACTION READ ONLY`), a statement
 * timeout (MySQL's `max_execution_time`, MariaDB's `max_statement_time`), ANSI_QUOTES and a binary
 * collation without padding for text (`MYSQL` in dialect.ts), whatever role the owner granted; the
 * role itself should hold SELECT on the registered columns only (compute/README.md).
 */
export class MysqlPools {
  private readonly pools = new Map<string, Promise<Pool>>();
  private readonly prepared = new WeakSet<object>();

  constructor(private readonly settings: MysqlPoolSettings) {}

  /** The server's pool; the client is loaded with the first, so a node with no MySQL dataset never loads it. */
  private pool(url: string): Promise<Pool> {
    let pool = this.pools.get(url);
    if (!pool) {
      pool = this.createPool(url);
      this.pools.set(url, pool);
    }
    return pool;
  }

  private async createPool(url: string): Promise<Pool> {
    const { default: mysql } = await import("mysql2/promise");
    return mysql.createPool({
      uri: url,
      connectionLimit: this.settings.maxConnections,
      maxIdle: this.settings.maxConnections,
      idleTimeout: 60_000,
      connectTimeout: 10_000,
      charset: "utf8mb4",
      // Every value the node reads is cast to text; a column read for its type comes back as it is.
      supportBigNumbers: true,
      bigNumberStrings: true,
      decimalNumbers: false,
      dateStrings: true,
    });
  }

  /** A connection of the pool, its session set up once. */
  private async connection(url: string): Promise<PoolConnection> {
    const connection = await (await this.pool(url)).getConnection();
    if (this.prepared.has(connection.connection)) return connection;
    try {
      const [[version]] = (await connection.query({ sql: "SELECT VERSION()", rowsAsArray: true })) as unknown as [
        [[string]],
      ];
      const mariadb = /mariadb/i.test(version[0]);
      const timeout = this.settings.statementTimeoutMs;
      await connection.query("SET SESSION TRANSACTION READ ONLY");
      await connection.query("SET SESSION sql_mode = CONCAT(@@SESSION.sql_mode, ',ANSI_QUOTES')");
      await connection.query(
        mariadb
          ? `SET SESSION max_statement_time = ${timeout / 1000}`
          : `SET SESSION max_execution_time = ${Math.round(timeout)}`,
      );
      await connection.query(
        `SET SESSION collation_connection = ${mariadb ? "utf8mb4_nopad_bin" : "utf8mb4_0900_bin"}`,
      );
    } catch (error) {
      connection.destroy();
      throw error;
    }
    this.prepared.add(connection.connection);
    return connection;
  }

  engine(source: MysqlSourceSettings): SqlEngine {
    const database = databaseOf(source.url);
    const connect = () => this.connection(source.url);
    return {
      dialect: MYSQL,
      where: `${database}.${source.table}`,
      relation: `${quoteIdentifier(database)}.${quoteIdentifier(source.table)}`,
      columns: async () => {
        const connection = await connect();
        try {
          // information_schema lists only the columns this node's account has a privilege on.
          const [rows] = (await connection.query(
            {
              sql: "SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
              rowsAsArray: true,
            },
            [database, source.table],
          )) as unknown as [[string, string, string][]];
          return new Map(
            rows.map(([name, type, nullable]) => [name, { type: type.toLowerCase(), notNull: nullable === "NO" }]),
          );
        } finally {
          connection.release();
        }
      },
      rows: (statement) => rowsOf(connect, statement),
      close: async () => {},
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map(async (pool) => (await pool).end()));
    this.pools.clear();
  }
}

/** A statement's output a batch at a time, streamed from the server (small outputs whole). */
async function* rowsOf(connect: () => Promise<PoolConnection>, statement: Statement): AsyncIterable<SourceValue[][]> {
  const { sql, values } = positional(statement);
  const connection = await connect();
  let finished = false;
  try {
    if (statement.small) {
      const [rows] = (await connection.query({ sql, rowsAsArray: true }, values)) as unknown as [SourceValue[][]];
      finished = true;
      yield rows;
      return;
    }
    let batch: SourceValue[][] = [];
    // The promise wrapper's underlying connection streams (its type names the wrapper).
    const streaming = connection.connection as unknown as StreamingConnection;
    for await (const row of streaming.query({ sql, rowsAsArray: true }, values).stream()) {
      batch.push(row as SourceValue[]);
      if (batch.length === ROWS_PER_BATCH) {
        yield batch;
        batch = [];
      }
    }
    finished = true;
    if (batch.length > 0) yield batch;
  } finally {
    // A reader that stopped before the end leaves rows on the wire: that connection is not reused.
    if (finished) connection.release();
    else connection.destroy();
  }
}
