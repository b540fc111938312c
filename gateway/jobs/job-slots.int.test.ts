import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, jobSlots } from "../../store/index.js";
import { testDatabases } from "../../test/support/databases.js";
import { waitFor } from "../../test/support/wait-for.js";
import { createJobSlots } from "./job-slots.js";

const until = () => {
  let open: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { done, open };
};

describe.each(testDatabases())("operators' job slots on $name", ({ open }) => {
  let database: Database;
  beforeAll(async () => {
    database = await open();
  });
  afterAll(async () => {
    await database?.close();
  });

  it("hold across replicas: two replicas racing for the last slot, one wins; a slot comes back however a job ends", async () => {
    const [first, second] = [1, 2].map(() => createJobSlots(database.db, { max: 2 })) as [
      ReturnType<typeof createJobSlots>,
      ReturnType<typeof createJobSlots>,
    ];
    const gate = until();
    const running = first.run("op_a", () => gate.done);
    // The first job holds its slot before the other two race for the last one.
    await waitFor(
      () => database.db.select().from(jobSlots),
      (held) => held.length === 1,
    );
    const racing = [second.run("op_a", () => gate.done), first.run("op_a", () => gate.done)];
    // The loser is refused at once; the winner holds its slot until the gate opens.
    const refused = await Promise.race(
      racing.map((attempt) =>
        attempt.then(
          () => undefined,
          (error: unknown) => error,
        ),
      ),
    );
    expect(refused).toMatchObject({ code: "too_many_jobs" });
    expect(await second.run("op_b", async () => "other operator")).toBe("other operator");
    gate.open();
    await running;
    const race = await Promise.allSettled(racing);
    expect(race.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    await expect(first.run("op_a", () => Promise.reject(new Error("node down")))).rejects.toThrow("node down");
    expect(await second.run("op_a", async () => 3)).toBe(3);
    expect(await database.db.select().from(jobSlots)).toEqual([]);
  });

  it("free themselves when the replica holding them died (stopped renewing)", async () => {
    let now = new Date("2026-12-03T10:00:00Z");
    const slots = createJobSlots(database.db, { max: 1, leaseMs: 30_000, now: () => now });
    await database.db
      .insert(jobSlots)
      .values({ id: "slot_dead", operatorId: "op_d", expiresAt: new Date(now.getTime() + 30_000) });
    await expect(slots.run("op_d", async () => 1)).rejects.toMatchObject({ code: "too_many_jobs" });
    now = new Date(now.getTime() + 30_001);
    expect(await slots.run("op_d", async () => 2)).toBe(2);
  });

  it("is off at 0", async () => {
    const slots = createJobSlots(database.db, { max: 0 });
    expect(await Promise.all([1, 2, 3].map((n) => slots.run("op_e", async () => n)))).toEqual([1, 2, 3]);
  });
});
