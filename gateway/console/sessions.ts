import { randomBytes, timingSafeEqual } from "node:crypto";

export interface ConsoleSession {
  id: string;
  participantId: string;
  /** The key that signed in: the session ends when the participant's current key is another. */
  publicKey: string;
  /** The synchroniser token every form of this session carries. */
  csrfToken: string;
  expiresAt: number;
}

export interface ConsoleSessionsOptions {
  now?: () => number;
  /** How long a session lasts from sign-in; it is not extended by use. */
  sessionTtlMs?: number;
  /** How long a sign-in challenge may wait for its signature. */
  challengeTtlMs?: number;
  /** Most challenges outstanding (the sign-in page is public); the oldest are dropped beyond it. */
  maxChallenges?: number;
  /** Most challenges one network address may hold at once; its own oldest are dropped beyond it. */
  maxChallengesPerAddress?: number;
  /** Most sessions open at once; the oldest are ended beyond it. */
  maxSessions?: number;
}

export const CONSOLE_SESSION_TTL_MS = 30 * 60_000;
const token = () => randomBytes(32).toString("base64url");

/** Constant-time comparison of two tokens of any length. */
export function sameToken(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * The console's sign-in challenges and sessions, in this gateway's memory: a restart signs everyone
 * out, and each gateway of several has its own (a console user stays on one).
 */
export class ConsoleSessions {
  private readonly challenges = new Map<string, { expiresAt: number; address: string }>();
  /** Each address's outstanding challenges, oldest first. */
  private readonly byAddress = new Map<string, string[]>();
  private readonly sessions = new Map<string, ConsoleSession>();
  private readonly now: () => number;
  private readonly sessionTtlMs: number;
  private readonly challengeTtlMs: number;
  private readonly maxChallenges: number;
  private readonly maxChallengesPerAddress: number;
  private readonly maxSessions: number;

  constructor(options: ConsoleSessionsOptions = {}) {
    this.now = options.now ?? Date.now;
    this.sessionTtlMs = options.sessionTtlMs ?? CONSOLE_SESSION_TTL_MS;
    this.challengeTtlMs = options.challengeTtlMs ?? 120_000;
    this.maxChallenges = options.maxChallenges ?? 10_000;
    this.maxChallengesPerAddress = options.maxChallengesPerAddress ?? 20;
    this.maxSessions = options.maxSessions ?? 10_000;
  }

  /**
   * A new challenge for a sign-in page served to `address`. One address holds at most
   * `maxChallengesPerAddress` (its own oldest go first), so a client asking for the page in a loop
   * cannot push everyone else's challenges out of the store.
   */
  issueChallenge(address = "local"): string {
    const mine = (this.byAddress.get(address) ?? []).filter((c) => this.challenges.has(c));
    while (mine.length >= this.maxChallengesPerAddress) this.challenges.delete(mine.shift() as string);
    dropOldest(this.challenges, this.maxChallenges, (entry) => entry.expiresAt <= this.now());
    const challenge = token();
    this.challenges.set(challenge, { expiresAt: this.now() + this.challengeTtlMs, address });
    mine.push(challenge);
    this.byAddress.set(address, mine);
    if (this.byAddress.size > this.maxChallenges) {
      for (const [key, list] of this.byAddress)
        if (!list.some((c) => this.challenges.has(c))) this.byAddress.delete(key);
    }
    return challenge;
  }

  /** True once for a challenge this store issued that has not expired; it can never be used again. */
  takeChallenge(challenge: string): boolean {
    const entry = this.challenges.get(challenge);
    this.challenges.delete(challenge);
    return entry !== undefined && entry.expiresAt > this.now();
  }

  open(participantId: string, publicKey: string): ConsoleSession {
    dropOldest(this.sessions, this.maxSessions, (s) => s.expiresAt <= this.now());
    const session = {
      id: token(),
      participantId,
      publicKey,
      csrfToken: token(),
      expiresAt: this.now() + this.sessionTtlMs,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  get(id: string): ConsoleSession | undefined {
    const session = this.sessions.get(id);
    if (session && session.expiresAt <= this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return session;
  }

  close(id: string): void {
    this.sessions.delete(id);
  }
}

// Expired entries go first; if the store is still full, the oldest (Map order is insertion order).
function dropOldest<V>(entries: Map<string, V>, max: number, expired: (value: V) => boolean): void {
  if (entries.size < max) return;
  for (const [key, value] of entries) if (expired(value)) entries.delete(key);
  for (const key of entries.keys()) {
    if (entries.size < max) break;
    entries.delete(key);
  }
}
