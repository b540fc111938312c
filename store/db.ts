import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import type { ExtractTablesWithRelations } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { projectFile } from "../lib/runtime-files.js";
import * as schema from "./schema/index.js";

export type Schema = typeof schema;
/** A drizzle database on either driver; all Sluice code is written against this type. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** A database handle or an open transaction: functions that write take either. */
export type DbOrTx = Db | Tx;

export interface Database {
  db: Db;
  driver: "pglite" | "postgres";
  /** Runs a trivial query; throws when the database cannot answer. */
  ping(): Promise<void>;
  /** LISTENs on a notification channel; resolves once listening, to a function that stops. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface CreateDbOptions {
  /** `postgres://…` for a PostgreSQL server; otherwise PGlite. */
  url?: string;
  /** PGlite data folder; omitted means in memory. */
  dataDir?: string;
  /** Apply pending migrations before returning (default true). */
  migrate?: boolean;
}

const migrationsFolder = projectFile("store", "migrations");

/** The advisory lock every Sluice process takes to migrate a PostgreSQL database (an arbitrary, fixed key). */
const MIGRATION_LOCK = 0x51_1c_e0_01;

/**
 * Applies the migrations on one connection that holds a session advisory lock meanwhile: replicas
 * starting together on an empty database migrate it once, the others wait and find nothing to do.
 */
async function migrateUnderLock(url: string): Promise<void> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migratePostgres(drizzlePostgres(client, { schema }), { migrationsFolder });
    await client`select pg_advisory_unlock(${MIGRATION_LOCK})`;
  } finally {
    await client.end({ timeout: 5 });
  }
}

/** Opens PostgreSQL (when `url` is given) or PGlite, and applies the committed migrations. */
export async function createDb(options: CreateDbOptions = {}): Promise<Database> {
  const applyMigrations = options.migrate ?? true;
  if (options.url && /^postgres(ql)?:\/\//.test(options.url)) {
    if (applyMigrations) await migrateUnderLock(options.url);
    const client = postgres(options.url, { max: 10, onnotice: () => {} });
    const db = drizzlePostgres(client, { schema });
    return {
      db: db as unknown as Db,
      driver: "postgres",
      ping: async () => {
        await client`select 1`;
      },
      listen: async (channel, onPayload) => {
        const { unlisten } = await client.listen(channel, onPayload);
        return unlisten;
      },
      close: () => client.end({ timeout: 5 }),
    };
  }
  if (options.url) throw new Error(`DATABASE_URL must start with postgres:// or postgresql://, got ${options.url}`);
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const client = new PGlite(options.dataDir);
  const db = drizzlePglite(client, { schema });
  if (applyMigrations) await migratePglite(db, { migrationsFolder });
  return {
    db: db as unknown as Db,
    driver: "pglite",
    ping: async () => {
      await client.query("select 1");
    },
    listen: (channel, onPayload) => client.listen(channel, onPayload),
    close: () => client.close(),
  };
}
