import { lt, sql } from "drizzle-orm";
import { SluiceError } from "../../lib/errors.js";
import type { Logger } from "../../lib/logger.js";
import { type Db, requestNonces } from "../../store/index.js";

// The most claims one statement carries (three parameters each, under PostgreSQL's 65,535), and
// the most statements in flight at once (each on its own pooled connection).
const MAX_BATCH = 5_000;
const MAX_IN_FLIGHT = 1;

export interface SharedNonceStoreOptions {
  /** How often expired nonces are deleted from the database. */
  purgeEveryMs?: number;
  now?: () => number;
  logger?: Logger;
}

interface Claim {
  keyId: string;
  nonce: string;
  expiresAt: Date;
  settle: (claimed: boolean | Error) => void;
}

/**
 * The nonces of signed requests within their validity window, claimed in the database the
 * gateway replicas share: a claim is one row inserted, or refused when any replica (or this one,
 * before a restart) holds it already, so a request replayed to another replica is refused at once.
 * Claims that arrive while a statement runs wait for the next one, which carries them all (group
 * commit): one round trip for a request alone, far fewer than one a request under load. Each
 * replica also remembers its own claims, so a replay to the same replica is refused without the
 * database. When the database cannot record a claim, the request is refused (503), never let through.
 */
export class SharedNonceStore {
  // Insertion order is close to expiry order (created + skew), so purging walks from the front.
  private readonly seen = new Map<string, number>();
  private queue: Claim[] = [];
  private readonly draining = new Set<Promise<void>>();
  private readonly purgeEveryMs: number;
  private readonly now: () => number;
  private readonly logger: Logger | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ready: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    options: SharedNonceStoreOptions = {},
  ) {
    this.purgeEveryMs = options.purgeEveryMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.logger = options.logger;
  }

  /** Starts the purge of expired nonces. Idempotent. */
  start(): Promise<void> {
    this.ready ??= (async () => {
      this.timer = setInterval(() => void this.purge(), Math.max(10, this.purgeEveryMs));
      this.timer.unref();
    })();
    return this.ready;
  }

  /** True the first time a key uses a nonce within its window, on any replica; false for a replay. */
  async claim(keyId: string, nonce: string, expiresAt: Date): Promise<boolean> {
    const key = `${keyId} ${nonce}`;
    const now = this.now();
    const known = this.seen.get(key);
    if (known !== undefined && known > now) return false;
    this.forgetExpired(now);
    // Marked before the database answers: the same nonce sent again meanwhile is refused here.
    this.seen.delete(key);
    this.seen.set(key, expiresAt.getTime());
    const outcome = await new Promise<boolean | Error>((settle) => {
      this.queue.push({ keyId, nonce, expiresAt, settle });
      this.kick();
    });
    if (outcome instanceof Error) {
      throw new SluiceError("unavailable", "the gateway cannot record this request's nonce now; send it again", {
        cause: outcome,
      });
    }
    return outcome;
  }

  get size(): number {
    return this.seen.size;
  }

  /** Waits until every claim made so far is decided. */
  async flush(): Promise<void> {
    while (this.draining.size > 0 || this.queue.length > 0) {
      this.kick();
      await Promise.all(this.draining);
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.ready;
    await this.flush();
  }

  /**
   * Sends the waiting claims in one statement unless MAX_IN_FLIGHT are running; each statement, as
   * it ends, kicks the next, so a claim queued at any moment is always carried by one.
   */
  private kick(): void {
    if (this.draining.size >= MAX_IN_FLIGHT || this.queue.length === 0) return;
    const statement: Promise<void> = this.send().finally(() => {
      this.draining.delete(statement);
      this.kick();
    });
    this.draining.add(statement);
  }

  /** Sends up to MAX_BATCH waiting claims in one statement and settles each. */
  private async send(): Promise<void> {
    const batch: Claim[] = [];
    const keys = new Set<string>();
    for (const c of this.queue.splice(0, MAX_BATCH)) {
      // One statement may not touch a row twice; a second claim of one nonce is a replay.
      const key = `${c.keyId} ${c.nonce}`;
      if (keys.has(key)) c.settle(false);
      else {
        keys.add(key);
        batch.push(c);
      }
    }
    if (batch.length === 0) return;
    try {
      const claimed = await this.insert(batch);
      for (const c of batch) c.settle(claimed.has(`${c.keyId} ${c.nonce}`));
    } catch (error) {
      this.logger?.warn({ err: error, claims: batch.length }, "could not record request nonces; refused them");
      for (const c of batch) c.settle(error as Error);
    }
  }

  /** Inserts the claims; an expired row of the same nonce is taken over. Returns the keys claimed. */
  private async insert(batch: Claim[]): Promise<Set<string>> {
    // One statement text whatever the batch's size (one JSON parameter), so the server prepares it once.
    const claims = JSON.stringify(batch.map((c) => ({ k: c.keyId, n: c.nonce, e: c.expiresAt.toISOString() })));
    const result = await this.db.execute(sql`
      insert into request_nonces (key_id, nonce, expires_at)
      select k, n, e from jsonb_to_recordset(${claims}::jsonb) as r(k text, n text, e timestamptz)
      on conflict (key_id, nonce) do update set expires_at = excluded.expires_at
        where request_nonces.expires_at < ${new Date(this.now()).toISOString()}::timestamptz
      returning key_id, nonce`);
    // postgres-js answers a list of rows; PGlite an object holding them.
    const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as {
      key_id: string;
      nonce: string;
    }[];
    return new Set(rows.map((r) => `${r.key_id} ${r.nonce}`));
  }

  private forgetExpired(now: number) {
    for (const [key, expiresAt] of this.seen) {
      if (expiresAt > now) break;
      this.seen.delete(key);
    }
  }

  private async purge(): Promise<void> {
    const now = this.now();
    this.forgetExpired(now);
    try {
      await this.db.delete(requestNonces).where(lt(requestNonces.expiresAt, new Date(now)));
    } catch (error) {
      this.logger?.warn({ err: error }, "could not delete expired request nonces; will retry");
    }
  }
}
