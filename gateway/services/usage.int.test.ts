import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, participants, scenarios } from "../../store/index.js";
import { testDatabases } from "../../test/support/databases.js";
import { releaseUsage, reserveUsage } from "./usage.js";

describe.each(testDatabases())("quota and ε reservations under concurrency on $name", ({ open }) => {
  let database: Database;
  beforeAll(async () => {
    database = await open();
    await database.db.insert(participants).values({ id: "op", name: "Bank", role: "operator", publicKey: "pk" });
  });
  afterAll(async () => {
    await database?.close();
  });

  async function scenario(id: string, queryQuota: number, epsilonBudgetMicro: number) {
    await database.db.insert(scenarios).values({
      id,
      operatorId: "op",
      purpose: "concurrency",
      datasetIds: [],
      datasetVersions: {},
      fields: [],
      computeModes: ["mpc"],
      queryShapes: ["sum"],
      minGroupSize: 1,
      epsilonPerQueryMicro: 1_000_000,
      epsilonBudgetMicro,
      queryQuota,
      pricePerQueryFen: 1,
      platformShareBasisPoints: 0,
      status: "active",
      validFrom: new Date(0),
      validUntil: new Date(Date.now() + 1e9),
    });
  }
  const usage = async (id: string) => (await database.db.select().from(scenarios).where(eq(scenarios.id, id)))[0];

  it("lets exactly the quota through when many requests race for it", async () => {
    await scenario("sc_quota", 3, 10_000_000);
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, () => reserveUsage(database.db, "sc_quota", 100_000)),
    );
    expect(outcomes.filter(Boolean)).toHaveLength(3);
    expect(await usage("sc_quota")).toMatchObject({ queriesUsed: 3, epsilonSpentMicro: 300_000 });
  });

  it("never lets the ε spent pass the budget, whatever the interleaving", async () => {
    await scenario("sc_budget", 100, 1_000_000);
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () => reserveUsage(database.db, "sc_budget", 400_000)),
    );
    expect(outcomes.filter(Boolean)).toHaveLength(2);
    expect(await usage("sc_budget")).toMatchObject({ queriesUsed: 2, epsilonSpentMicro: 800_000 });
  });

  it("gives a reservation back exactly once it is released", async () => {
    await scenario("sc_release", 1, 1_000_000);
    expect(await reserveUsage(database.db, "sc_release", 1_000_000)).toBe(true);
    expect(await reserveUsage(database.db, "sc_release", 1)).toBe(false);
    await releaseUsage(database.db, "sc_release", 1_000_000);
    expect(await usage("sc_release")).toMatchObject({ queriesUsed: 0, epsilonSpentMicro: 0 });
    expect(await reserveUsage(database.db, "sc_release", 1_000_000)).toBe(true);
  });

  it("reserves nothing on a scenario that is not in force", async () => {
    await scenario("sc_suspended", 5, 5_000_000);
    await database.db.update(scenarios).set({ status: "suspended" }).where(eq(scenarios.id, "sc_suspended"));
    expect(await reserveUsage(database.db, "sc_suspended", 0)).toBe(false);
  });
});
