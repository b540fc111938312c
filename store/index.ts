/**
 * The Sluice database: drizzle schema, migrations and a driver-agnostic handle.
 *
 * @example
 * const { db, close } = await createDb({ dataDir: ".sluice/db" });
 * const rows = await db.select().from(participants);
 */
export { type CreateDbOptions, createDb, type Database, type Db, type DbOrTx, type Tx } from "./db.js";
export * from "./schema/index.js";
export { EXCLUSION_VIOLATION, sqlStateOf, UNIQUE_VIOLATION } from "./sql-state.js";
