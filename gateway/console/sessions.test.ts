import { describe, expect, it } from "vitest";
import { ConsoleSessions, sameToken } from "./sessions.js";

function clocked(options = {}) {
  let now = 1_000_000;
  const sessions = new ConsoleSessions({ now: () => now, ...options });
  const advance = (ms: number) => {
    now += ms;
  };
  return { sessions, advance };
}

describe("console sign-in challenges", () => {
  it("accepts a challenge once, and never again", () => {
    const { sessions } = clocked();
    const challenge = sessions.issueChallenge();
    expect(challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sessions.takeChallenge(challenge)).toBe(true);
    expect(sessions.takeChallenge(challenge)).toBe(false);
  });

  it("refuses a challenge it never issued, and one that has expired", () => {
    const { sessions, advance } = clocked({ challengeTtlMs: 1_000 });
    expect(sessions.takeChallenge("A".repeat(43))).toBe(false);
    const challenge = sessions.issueChallenge();
    advance(1_000);
    expect(sessions.takeChallenge(challenge)).toBe(false);
  });

  it("drops the oldest challenges beyond its bound, so the public sign-in page cannot fill memory", () => {
    const { sessions } = clocked({ maxChallenges: 3 });
    const issued = Array.from({ length: 5 }, () => sessions.issueChallenge());
    expect(issued.map((c) => sessions.takeChallenge(c))).toEqual([false, false, true, true, true]);
  });

  it("lets one address hold only its own few challenges, so a loop from it cannot push out anyone else's", () => {
    const { sessions } = clocked({ maxChallenges: 100, maxChallengesPerAddress: 3 });
    const clerk = sessions.issueChallenge("10.0.0.7");
    const flood = Array.from({ length: 500 }, () => sessions.issueChallenge("203.0.113.9"));
    expect(sessions.takeChallenge(clerk)).toBe(true);
    expect(flood.map((c) => sessions.takeChallenge(c)).filter(Boolean)).toHaveLength(3);
    expect(sessions.takeChallenge(flood.at(-1) as string)).toBe(false); // taken once, above
  });
});

describe("console sessions", () => {
  it("opens a session with its own id and CSRF token, and closes it", () => {
    const { sessions } = clocked();
    const a = sessions.open("owner_tax", "pk");
    const b = sessions.open("owner_tax", "pk");
    expect(a.id).not.toBe(b.id);
    expect(a.csrfToken).not.toBe(b.csrfToken);
    expect(sessions.get(a.id)).toEqual(a);
    sessions.close(a.id);
    expect(sessions.get(a.id)).toBeUndefined();
    expect(sessions.get(b.id)).toEqual(b);
  });

  it("ends a session at its lifetime, however much it is used", () => {
    const { sessions, advance } = clocked({ sessionTtlMs: 10_000 });
    const session = sessions.open("regulator", "pk");
    advance(9_999);
    expect(sessions.get(session.id)).toBeDefined();
    advance(1);
    expect(sessions.get(session.id)).toBeUndefined();
  });

  it("ends the oldest sessions beyond its bound", () => {
    const { sessions } = clocked({ maxSessions: 2 });
    const [a, b, c] = [1, 2, 3].map(() => sessions.open("x", "pk"));
    expect([a, b, c].map((s) => sessions.get(s?.id ?? "") !== undefined)).toEqual([false, true, true]);
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
