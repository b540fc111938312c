import postgres from "postgres";
import { POSTGRES, quoteIdentifier } from "./dialect.js";
import type { SqlEngine } from "./engine.js";

export interface PostgresSourceSettings {
  url: string;
  schema: string;
  table: string;
}

export interface PostgresPoolSettings {
  /** The most connections the node holds to one database, for all its datasets there. */
  maxConnections: number;
  /** How long one statement may run before the database cancels it (ms). */
  statementTimeoutMs: number;
}

const ROWS_PER_BATCH = 10_000;

/**
 * The owner's PostgreSQL databases a node reads, one bounded pool per database. Every session is
 * read-only (`default_transaction_read_only`) and every statement has a timeout, whatever role the
 * owner granted; the role itself should hold SELECT on the registered columns only (compute/README.md).
 */
export class PostgresPools {
  private readonly pools = new Map<string, postgres.Sql>();

  constructor(private readonly settings: PostgresPoolSettings) {}

  private pool(url: string): postgres.Sql {
    let pool = this.pools.get(url);
    if (!pool) {
      pool = postgres(url, {
        max: this.settings.maxConnections,
        idle_timeout: 60,
        connect_timeout: 10,
        onnotice: () => {},
        connection: {
          application_name: "sluice-compute-node",
          default_transaction_read_only: true,
          statement_timeout: this.settings.statementTimeoutMs,
        },
      });
      this.pools.set(url, pool);
    }
    return pool;
  }

  engine(source: PostgresSourceSettings): SqlEngine {
    const sql = this.pool(source.url);
    return {
      dialect: POSTGRES,
      where: `${source.schema}.${source.table}`,
      relation: `${quoteIdentifier(source.schema)}.${quoteIdentifier(source.table)}`,
      columns: async () => {
        // information_schema lists only the columns this node's role has a privilege on.
        const rows = await sql<{ name: string; type: string; nullable: string }[]>`
          select column_name as name, data_type as type, is_nullable as nullable from information_schema.columns
          where table_schema = ${source.schema} and table_name = ${source.table}`;
        return new Map(rows.map((r) => [r.name, { type: r.type.toLowerCase(), notNull: r.nullable === "NO" }]));
      },
      rows: (statement) =>
        // A cursor fetches in pages, which PostgreSQL never runs in parallel: small outputs come whole.
        (statement.small
          ? (async function* () {
              yield (await sql.unsafe(statement.sql, statement.params).values()) as (string | null)[][];
            })()
          : sql.unsafe(statement.sql, statement.params).values().cursor(ROWS_PER_BATCH)) as AsyncIterable<
          (string | null)[][]
        >,
      close: async () => {},
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.end({ timeout: 5 })));
    this.pools.clear();
  }
}
