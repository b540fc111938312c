import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, participants, requestNonces } from "../../store/index.js";
import { testDatabases } from "../../test/support/databases.js";
import { waitFor } from "../../test/support/wait-for.js";
import { createAuthState } from "./auth-state.js";
import { LocalNonceStore } from "./local-nonce-store.js";
import { ParticipantCache } from "./participant-cache.js";
import { SharedNonceStore } from "./shared-nonce-store.js";

const inAMinute = () => new Date(Date.now() + 60_000);

describe.each(testDatabases())("authentication state on $name", ({ open }) => {
  let database: Database;

  beforeAll(async () => {
    database = await open();
    await database.db.insert(participants).values([
      { id: "bank_one", name: "Bank", role: "operator", publicKey: "k".repeat(43) },
      { id: "bank_two", name: "Bank 2", role: "operator", publicKey: "m".repeat(43) },
    ]);
  });
  afterAll(async () => {
    await database.close();
  });

  it("forgets a participant changed by any writer once the change commits", async () => {
    const auth = createAuthState({ db: database.db, listen: database.listen });
    await auth.ready();
    try {
      expect((await auth.participants.get("bank_one"))?.status).toBe("active");
      // Another process (or a clerk with psql) revokes the participant directly in the database.
      await database.db.update(participants).set({ status: "revoked" }).where(eq(participants.id, "bank_one"));
      await waitFor(
        () => auth.participants.get("bank_one"),
        (p) => p?.status === "revoked",
        40,
        50,
      );
    } finally {
      await auth.stop();
    }
  });

  it("never caches a read that raced a change", async () => {
    const cache = new ParticipantCache(database.db);
    const reading = cache.get("bank_two");
    cache.forget("bank_two"); // the change commits while the read is in flight
    expect(await reading).toBeDefined();
    expect(cache.size).toBe(0);
    await cache.get("bank_two");
    expect(cache.size).toBe(1);
  });

  it("remembers that a key id is unknown, and learns of its admission at once", async () => {
    const auth = createAuthState({ db: database.db, listen: database.listen });
    await auth.ready();
    try {
      let queries = 0;
      const counting = new Proxy(database.db, {
        get: (target, key, receiver) => {
          if (key === "select") queries += 1;
          return Reflect.get(target, key, receiver);
        },
      });
      const cache = new ParticipantCache(counting);
      for (let i = 0; i < 50; i++) expect(await cache.get("made_up")).toBeUndefined();
      expect(queries).toBe(1); // one query per TTL for a made-up id, not one per request
      // Admitted by another process: the notification makes the shared cache forget the miss.
      expect(await auth.participants.get("bank_three")).toBeUndefined();
      await database.db
        .insert(participants)
        .values({ id: "bank_three", name: "Bank 3", role: "operator", publicKey: "n".repeat(43) });
      await waitFor(
        () => auth.participants.get("bank_three"),
        (p) => p?.status === "active",
        40,
        50,
      );
    } finally {
      await auth.stop();
    }
  });

  it("shared: refuses a nonce a second time, and again after a restart", async () => {
    const before = new SharedNonceStore(database.db);
    await before.start();
    expect(await before.claim("bank_two", "nonce-aaaaaaaa", inAMinute())).toBe(true);
    expect(await before.claim("bank_two", "nonce-aaaaaaaa", inAMinute())).toBe(false);
    expect(await before.claim("bank_one", "nonce-aaaaaaaa", inAMinute())).toBe(true); // nonces are per key
    await before.stop();

    const after = new SharedNonceStore(database.db);
    await after.start();
    expect(await after.claim("bank_two", "nonce-aaaaaaaa", inAMinute())).toBe(false);
    expect(await after.claim("bank_two", "nonce-bbbbbbbb", inAMinute())).toBe(true);
    await after.stop();
  });

  it("refuses at once, on a second replica, a nonce the first one claimed: no window", async () => {
    const [one, two] = [new SharedNonceStore(database.db), new SharedNonceStore(database.db)];
    await Promise.all([one.start(), two.start()]);
    expect(await one.claim("bank_one", "nonce-replica-1", inAMinute())).toBe(true);
    expect(await two.claim("bank_one", "nonce-replica-1", inAMinute())).toBe(false);
    // The same nonce sent to both replicas at the same instant: exactly one takes it.
    const raced = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        Promise.all([
          one.claim("bank_two", `nonce-race-${i}`, inAMinute()),
          two.claim("bank_two", `nonce-race-${i}`, inAMinute()),
        ]),
      ),
    );
    for (const pair of raced) expect(pair.filter(Boolean)).toHaveLength(1);
    // Claims waiting while a statement runs go together in the next one, each decided on its own.
    const many = await Promise.all(
      Array.from({ length: 300 }, (_, i) => one.claim("bank_one", `nonce-many-${i % 150}`, inAMinute())),
    );
    expect(many.filter(Boolean)).toHaveLength(150);
    await Promise.all([one.stop(), two.stop()]);
  });

  it("leaves no claim waiting, whenever it comes while a statement is running or ending", async () => {
    const store = new SharedNonceStore(database.db);
    await store.start();
    const claims: Promise<boolean>[] = [];
    for (let i = 0; i < 400; i++) {
      // Claims land between statements at every kind of moment: microtasks, the next turn, timers.
      await new Promise<void>((resolve) =>
        i % 3 === 0 ? queueMicrotask(resolve) : i % 3 === 1 ? setImmediate(resolve) : setTimeout(resolve, 0),
      );
      claims.push(store.claim("bank_one", `nonce-wave-${i}`, inAMinute()));
    }
    const settled = await Promise.race([
      Promise.all(claims),
      new Promise<"stuck">((resolve) => setTimeout(() => resolve("stuck"), 10_000)),
    ]);
    expect(settled).toEqual(claims.map(() => true));
    await store.stop();
  });

  it("shared: lets an expired nonce go, in memory and in the database", async () => {
    let now = Date.now();
    const store = new SharedNonceStore(database.db, { now: () => now, purgeEveryMs: 10 });
    await store.start();
    expect(await store.claim("bank_two", "nonce-expiring", new Date(now + 1_000))).toBe(true);
    expect(await store.claim("bank_two", "nonce-expiring", new Date(now + 1_000))).toBe(false);
    now += 2_000;
    // Expired, the row is taken over by a new claim even before the purge removes it.
    expect(
      await new SharedNonceStore(database.db, { now: () => now }).claim(
        "bank_two",
        "nonce-expiring",
        new Date(now + 1_000),
      ),
    ).toBe(true);
    now += 2_000;
    await waitFor(
      () => database.db.select().from(requestNonces).where(eq(requestNonces.nonce, "nonce-expiring")),
      (rows) => rows.length === 0,
      50,
      20,
    );
    expect(await store.claim("bank_two", "nonce-expiring", new Date(now + 1_000))).toBe(true);
    await store.stop();
  });

  it("refuses the request, never lets it through, when the database cannot record its nonce", async () => {
    const gone = await open();
    const store = new SharedNonceStore(gone.db);
    await gone.close();
    await expect(store.claim("bank_one", "nonce-no-database", inAMinute())).rejects.toMatchObject({
      code: "unavailable",
    });
    // Refused again, from memory, without the database.
    expect(await store.claim("bank_one", "nonce-no-database", inAMinute())).toBe(false);
  });

  it("alone on its database: refuses a nonce a second time, from memory, and again after a restart", async () => {
    const before = new LocalNonceStore(database.db);
    await before.start();
    expect(before.claim("bank_two", "nonce-aaaaaaaa-local", inAMinute())).toBe(true);
    expect(before.claim("bank_two", "nonce-aaaaaaaa-local", inAMinute())).toBe(false);
    expect(before.claim("bank_one", "nonce-aaaaaaaa-local", inAMinute())).toBe(true); // nonces are per key
    await before.stop();

    const after = new LocalNonceStore(database.db);
    await after.start();
    expect(after.claim("bank_two", "nonce-aaaaaaaa-local", inAMinute())).toBe(false);
    expect(after.claim("bank_two", "nonce-bbbbbbbb-local", inAMinute())).toBe(true);
    await after.stop();
  });

  it("alone on its database: lets an expired nonce go, in memory and in the database", async () => {
    let now = Date.now();
    const store = new LocalNonceStore(database.db, { now: () => now, purgeEveryMs: 0, flushEveryMs: 10 });
    await store.start();
    expect(store.claim("bank_two", "nonce-expiring-local", new Date(now + 1_000))).toBe(true);
    await store.flush();
    now += 2_000;
    await waitFor(
      () => database.db.select().from(requestNonces).where(eq(requestNonces.nonce, "nonce-expiring-local")),
      (rows) => rows.length === 0,
      50,
      20,
    );
    expect(store.claim("bank_two", "nonce-expiring-local", new Date(now + 1_000))).toBe(true);
    await store.stop();
  });
});
