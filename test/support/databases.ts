import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { createDb, type Database } from "../../store/index.js";

export interface TestDatabase {
  name: "pglite" | "postgres";
  /** A fresh, migrated, empty database; `close` also drops it. */
  open(): Promise<Database>;
}

/** PGlite always; PostgreSQL too when TEST_DATABASE_URL is set (each open() gets its own database). */
export function testDatabases(): TestDatabase[] {
  const list: TestDatabase[] = [{ name: "pglite", open: () => createDb() }];
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (serverUrl) list.push({ name: "postgres", open: () => openFreshPostgres(serverUrl) });
  return list;
}

/** A fresh, migrated database on the PostgreSQL server at `serverUrl`, with its own URL (for other processes). */
export async function openFreshPostgres(serverUrl: string): Promise<Database & { url: string }> {
  const name = `sluice_test_${randomBytes(6).toString("hex")}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await createDb({ url: url.toString() });
  return {
    ...database,
    url: url.toString(),
    close: async () => {
      await database.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
