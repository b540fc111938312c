import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { and, asc, count, eq, gt, inArray, lte } from "drizzle-orm";
import { consoleChallenges, consoleSessions, type Db } from "../../store/index.js";

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
const digestOf = (secret: string) => createHash("sha256").update(secret).digest("base64url");

/** Constant-time comparison of two tokens of any length. */
export function sameToken(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * The console's sign-in challenges and sessions, in the database every gateway replica shares: a
 * session opened through one replica is good on the others and survives a restart, and a
 * challenge is taken once whichever replica the signature reaches. Both are stored by their
 * SHA-256, so reading the tables gives no one a cookie or a challenge to sign.
 */
export class ConsoleSessions {
  private readonly now: () => number;
  private readonly sessionTtlMs: number;
  private readonly challengeTtlMs: number;
  private readonly maxChallenges: number;
  private readonly maxChallengesPerAddress: number;
  private readonly maxSessions: number;

  constructor(
    private readonly db: Db,
    options: ConsoleSessionsOptions = {},
  ) {
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
  async issueChallenge(address = "local"): Promise<string> {
    const challenge = token();
    const now = new Date(this.now());
    await this.db.transaction(async (tx) => {
      await tx.delete(consoleChallenges).where(lte(consoleChallenges.expiresAt, now));
      const mine = await tx
        .select({ digest: consoleChallenges.digest })
        .from(consoleChallenges)
        .where(eq(consoleChallenges.address, address))
        .orderBy(asc(consoleChallenges.expiresAt));
      const overMine = mine.slice(0, Math.max(0, mine.length - this.maxChallengesPerAddress + 1));
      if (overMine.length > 0)
        await tx.delete(consoleChallenges).where(
          inArray(
            consoleChallenges.digest,
            overMine.map((c) => c.digest),
          ),
        );
      await dropOldest(
        tx,
        consoleChallenges,
        consoleChallenges.digest,
        consoleChallenges.expiresAt,
        this.maxChallenges,
      );
      await tx
        .insert(consoleChallenges)
        .values({ digest: digestOf(challenge), address, expiresAt: new Date(now.getTime() + this.challengeTtlMs) });
    });
    return challenge;
  }

  /** True once for a challenge this store issued that has not expired; it can never be used again. */
  async takeChallenge(challenge: string): Promise<boolean> {
    const [taken] = await this.db
      .delete(consoleChallenges)
      .where(eq(consoleChallenges.digest, digestOf(challenge)))
      .returning({ expiresAt: consoleChallenges.expiresAt });
    return taken !== undefined && taken.expiresAt.getTime() > this.now();
  }

  async open(participantId: string, publicKey: string): Promise<ConsoleSession> {
    const session = {
      id: token(),
      participantId,
      publicKey,
      csrfToken: token(),
      expiresAt: this.now() + this.sessionTtlMs,
    };
    await this.db.transaction(async (tx) => {
      await tx.delete(consoleSessions).where(lte(consoleSessions.expiresAt, new Date(this.now())));
      await dropOldest(tx, consoleSessions, consoleSessions.digest, consoleSessions.expiresAt, this.maxSessions);
      await tx.insert(consoleSessions).values({
        digest: digestOf(session.id),
        participantId,
        publicKey,
        csrfToken: session.csrfToken,
        expiresAt: new Date(session.expiresAt),
      });
    });
    return session;
  }

  async get(id: string): Promise<ConsoleSession | undefined> {
    if (id === "") return undefined;
    const [row] = await this.db
      .select()
      .from(consoleSessions)
      .where(and(eq(consoleSessions.digest, digestOf(id)), gt(consoleSessions.expiresAt, new Date(this.now()))));
    if (!row) return undefined;
    return {
      id,
      participantId: row.participantId,
      publicKey: row.publicKey,
      csrfToken: row.csrfToken,
      expiresAt: row.expiresAt.getTime(),
    };
  }

  async close(id: string): Promise<void> {
    await this.db.delete(consoleSessions).where(eq(consoleSessions.digest, digestOf(id)));
  }
}

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/** Makes room for one more row: the table keeps at most `max`, ending the soonest to expire first. */
async function dropOldest(
  tx: Tx,
  table: typeof consoleChallenges | typeof consoleSessions,
  key: typeof consoleChallenges.digest | typeof consoleSessions.digest,
  expiresAt: typeof consoleChallenges.expiresAt | typeof consoleSessions.expiresAt,
  max: number,
): Promise<void> {
  const [held] = await tx.select({ n: count() }).from(table);
  const over = (held?.n ?? 0) - max + 1;
  if (over <= 0) return;
  const oldest = await tx.select({ key }).from(table).orderBy(asc(expiresAt)).limit(over);
  await tx.delete(table).where(
    inArray(
      key,
      oldest.map((r) => r.key),
    ),
  );
}
