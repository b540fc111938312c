import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, usageRecords } from "../../../store/index.js";
import { testDatabases } from "../../../test/support/databases.js";
import { seedJob } from "../../../test/support/usage-records.js";
import { participantNames, usagePerDay } from "./shared.js";

describe.each(testDatabases())("the console's usage per day on $name", ({ open }) => {
  let database: Database;
  const now = new Date("2026-11-29T10:00:00Z");

  beforeAll(async () => {
    database = await open();
    const at = ["2026-11-29T00:00:00Z", "2026-11-29T09:59:00Z", "2026-11-28T23:59:59Z", "2026-11-26T12:00:00Z"];
    for (const when of at) {
      const { record } = await seedJob(database, 100);
      await database.db
        .update(usageRecords)
        .set({ createdAt: new Date(when) })
        .where(eq(usageRecords.id, record.recordId));
    }
  });
  afterAll(async () => {
    await database?.close();
  });

  it("counts each UTC day of the window, every day present, oldest first, and nothing before it", async () => {
    expect(await usagePerDay(database.db, now, 3)).toEqual([
      { label: "2026-11-27", value: 0 },
      { label: "2026-11-28", value: 1 },
      { label: "2026-11-29", value: 2 },
    ]);
    expect((await usagePerDay(database.db, now, 4))[0]).toEqual({ label: "2026-11-26", value: 1 });
  });

  it("counts only the records that used an owner's data when asked for one owner", async () => {
    expect((await usagePerDay(database.db, now, 3, "tax")).map((d) => d.value)).toEqual([0, 1, 2]);
    expect((await usagePerDay(database.db, now, 3, "someone_else")).map((d) => d.value)).toEqual([0, 0, 0]);
  });

  it("names participants by id, leaving out those it does not know", async () => {
    const names = await participantNames(database.db, ["op", "op", "nobody"]);
    expect([...names]).toEqual([["op", "Bank"]]);
  });
});
