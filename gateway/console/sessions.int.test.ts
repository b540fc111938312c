import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consoleChallenges, consoleSessions, type Database } from "../../store/index.js";
import { testDatabases } from "../../test/support/databases.js";
import { ConsoleSessions, type ConsoleSessionsOptions, sameToken } from "./sessions.js";

describe.each(testDatabases())("console sign-in on $name", ({ open }) => {
  let database: Database;
  beforeAll(async () => {
    database = await open();
  });
  afterAll(async () => {
    await database?.close();
  });

  /** A store on a clean slate with its own clock; `replica` is a second store on the same database. */
  async function clocked(options: ConsoleSessionsOptions = {}) {
    await database.db.delete(consoleChallenges);
    await database.db.delete(consoleSessions);
    let now = 1_000_000;
    const make = () => new ConsoleSessions(database.db, { now: () => now, ...options });
    const advance = (ms: number) => {
      now += ms;
    };
    return { sessions: make(), replica: make(), advance };
  }

  describe("challenges", () => {
    it("accepts a challenge once, and never again, whichever replica it reaches", async () => {
      const { sessions, replica } = await clocked();
      const challenge = await sessions.issueChallenge();
      expect(challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const taken = await Promise.all([replica.takeChallenge(challenge), sessions.takeChallenge(challenge)]);
      expect(taken.sort()).toEqual([false, true]);
      expect(await replica.takeChallenge(challenge)).toBe(false);
    });

    it("refuses a challenge it never issued, and one that has expired", async () => {
      const { sessions, advance } = await clocked({ challengeTtlMs: 1_000 });
      expect(await sessions.takeChallenge("A".repeat(43))).toBe(false);
      const challenge = await sessions.issueChallenge();
      advance(1_000);
      expect(await sessions.takeChallenge(challenge)).toBe(false);
    });

    it("drops the oldest challenges beyond its bound, so the public sign-in page cannot fill the table", async () => {
      const { sessions, advance } = await clocked({ maxChallenges: 3 });
      const issued: string[] = [];
      for (let i = 0; i < 5; i++) {
        issued.push(await sessions.issueChallenge(`10.0.0.${i}`));
        advance(1);
      }
      const taken = [];
      for (const c of issued) taken.push(await sessions.takeChallenge(c));
      expect(taken).toEqual([false, false, true, true, true]);
    });

    it("lets one address hold only its own few challenges, so a loop from it cannot push out anyone else's", async () => {
      const { sessions, advance } = await clocked({ maxChallenges: 100, maxChallengesPerAddress: 3 });
      const clerk = await sessions.issueChallenge("10.0.0.7");
      const flood: string[] = [];
      for (let i = 0; i < 50; i++) {
        advance(1);
        flood.push(await sessions.issueChallenge("203.0.113.9"));
      }
      expect(await sessions.takeChallenge(clerk)).toBe(true);
      const taken = [];
      for (const c of flood) taken.push(await sessions.takeChallenge(c));
      expect(taken.filter(Boolean)).toHaveLength(3);
      expect(taken.slice(-3)).toEqual([true, true, true]);
    });

    it("stores only the challenge's digest", async () => {
      const { sessions } = await clocked();
      const challenge = await sessions.issueChallenge();
      const rows = await database.db.select().from(consoleChallenges);
      expect(rows).toHaveLength(1);
      expect(JSON.stringify(rows)).not.toContain(challenge);
    });
  });

  describe("sessions", () => {
    it("opens a session with its own id and CSRF token, good on every replica, and closes it everywhere", async () => {
      const { sessions, replica } = await clocked();
      const a = await sessions.open("owner_tax", "pk");
      const b = await sessions.open("owner_tax", "pk");
      expect(a.id).not.toBe(b.id);
      expect(a.csrfToken).not.toBe(b.csrfToken);
      expect(await replica.get(a.id)).toEqual(a);
      await replica.close(a.id);
      expect(await sessions.get(a.id)).toBeUndefined();
      expect(await sessions.get(b.id)).toEqual(b);
      expect(await sessions.get("")).toBeUndefined();
      expect(await sessions.get("not-a-session")).toBeUndefined();
    });

    it("ends a session at its lifetime, however much it is used", async () => {
      const { sessions, advance } = await clocked({ sessionTtlMs: 10_000 });
      const session = await sessions.open("regulator", "pk");
      advance(9_999);
      expect(await sessions.get(session.id)).toBeDefined();
      advance(1);
      expect(await sessions.get(session.id)).toBeUndefined();
    });

    it("ends the oldest sessions beyond its bound", async () => {
      const { sessions, advance } = await clocked({ maxSessions: 2 });
      const opened = [];
      for (let i = 0; i < 3; i++) {
        opened.push(await sessions.open("x", "pk"));
        advance(1);
      }
      const live = [];
      for (const s of opened) live.push((await sessions.get(s.id)) !== undefined);
      expect(live).toEqual([false, true, true]);
    });

    it("stores the cookie's digest, never the cookie", async () => {
      const { sessions } = await clocked();
      const session = await sessions.open("regulator", "pk");
      expect(JSON.stringify(await database.db.select().from(consoleSessions))).not.toContain(session.id);
    });
  });
});

describe("token comparison", () => {
  it("matches only the same token", () => {
    expect(sameToken("abc", "abc")).toBe(true);
    expect(sameToken("abc", "abd")).toBe(false);
    expect(sameToken("abc", "abcd")).toBe(false);
    expect(sameToken("", "abc")).toBe(false);
  });
});
