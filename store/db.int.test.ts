import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "../test/support/databases.js";
import type { Database } from "./db.js";
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
