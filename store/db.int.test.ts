import { randomBytes } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "../test/support/databases.js";
import { createDb, type Database } from "./db.js";
import { participants } from "./schema/index.js";

describe.each(testDatabases())("store on $name", ({ open }) => {
  let database: Database;
  beforeAll(async () => {
    database = await open();
  });
  afterAll(async () => {
    await database?.close();
  });

  it("applies the migrations and answers a ping", async () => {
    await expect(database.ping()).resolves.toBeUndefined();
    expect(await database.db.select().from(participants)).toEqual([]);
  });

  it("rolls a failed transaction back completely", async () => {
    await expect(
      database.db.transaction(async (tx) => {
        await tx.insert(participants).values({ id: "p_1", name: "Tax Bureau", role: "owner", publicKey: "k1" });
        await tx.insert(participants).values({ id: "p_2", name: "Dup", role: "owner", publicKey: "k1" });
      }),
    ).rejects.toThrow();
    expect(await database.db.select().from(participants).where(eq(participants.id, "p_1"))).toEqual([]);
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)("three processes migrating one empty PostgreSQL database at once", () => {
  it("migrate it once: each opens, none fails on a table another created", async () => {
    const serverUrl = process.env.TEST_DATABASE_URL as string;
    const name = `sluice_test_${randomBytes(6).toString("hex")}`;
    const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    try {
      const opened = await Promise.all([1, 2, 3].map(() => createDb({ url: url.toString() })));
      await Promise.all(opened.map((d) => d.ping()));
      const applied = await opened[0]?.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
      const journal = await import("./migrations/meta/_journal.json", { with: { type: "json" } });
      expect((applied as unknown as { n: number }[])[0]?.n).toBe(journal.default.entries.length);
      await Promise.all(opened.map((d) => d.close()));
    } finally {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  }, 60_000);
});
