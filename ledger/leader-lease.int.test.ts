import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../store/index.js";
import { testDatabases } from "../test/support/databases.js";
import { waitFor } from "../test/support/wait-for.js";
import { createLeaderLease } from "./leader-lease.js";

describe.each(testDatabases())("the leader lease on $name", ({ open }) => {
  let database: Database;
  beforeAll(async () => {
    database = await open();
  });
  afterAll(async () => {
    await database?.close();
  });

  const lease = (name: string, holder: string, ttlMs = 600) =>
    createLeaderLease({ db: database.db, name, holder, ttlMs });

  it("is held by one replica of three at a time, and passes to another when the holder gives it up", async () => {
    const replicas = [lease("work", "a"), lease("work", "b"), lease("work", "c")];
    await Promise.all(replicas.map((r) => r.start()));
    expect(replicas.filter((r) => r.held)).toHaveLength(1);
    const leader = replicas.find((r) => r.held) as (typeof replicas)[number];
    // Renewed: still the same one after several lifetimes.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(replicas.filter((r) => r.held)).toEqual([leader]);
    await leader.stop();
    const others = replicas.filter((r) => r !== leader);
    await waitFor(
      async () => others.filter((r) => r.held).length,
      (n) => n === 1,
    );
    await Promise.all(others.map((r) => r.stop()));
  });

  it("is taken over once a holder that stopped renewing lets it lapse", async () => {
    // As a killed process leaves it: held, never renewed, never given up.
    await database.db.execute(
      sql`insert into leases values ('lapse', 'dead', clock_timestamp() + interval '400 milliseconds', clock_timestamp())`,
    );
    const standby = lease("lapse", "standby", 400);
    await standby.start();
    expect(standby.held).toBe(false);
    await waitFor(
      async () => standby.held,
      (held) => held,
    );
    await standby.stop();
  });

  it("keeps separate names apart", async () => {
    const [x, y] = [lease("x", "a"), lease("y", "b")];
    await Promise.all([x.start(), y.start()]);
    expect([x.held, y.held]).toEqual([true, true]);
    await Promise.all([x.stop(), y.stop()]);
  });
});
