import { gt, lt, sql } from "drizzle-orm";
import type { Logger } from "../../lib/logger.js";
import { type Db, requestNonces } from "../../store/index.js";

// With the database away for long, claims stop queueing here (memory still refuses replays).
const MAX_PENDING = 1_000_000;

export interface NonceStoreOptions {
  /** How often claimed nonces are written to the database. */
  flushEveryMs?: number;
  /** How often expired nonces are deleted from the database. */
  purgeEveryMs?: number;
  now?: () => number;
  logger?: Logger;
}

/**
 * The nonces of signed requests within their validity window, for a gateway that is the only one
 * on its database (the embedded PGlite, which no second process can open). A claim is decided in
 * memory, at once; claimed nonces are written to the database in batches and read back when the
 * gateway starts, so a request captured before a restart cannot be replayed after it. A crash
 * loses at most the last `flushEveryMs` (200 ms by default) of claims (a clean stop writes them
 * all). Replicas on a shared PostgreSQL claim in the database instead (`shared-nonce-store.ts`).
 */
export class LocalNonceStore {
  // Insertion order is close to expiry order (created + skew), so purging walks from the front.
  private readonly seen = new Map<string, number>();
  private pending: { keyId: string; nonce: string; expiresAt: Date }[] = [];
  private readonly flushEveryMs: number;
  private readonly purgeEveryMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private lastPurge = 0;
  private flushing: Promise<void> = Promise.resolve();
  private ready: Promise<void> | undefined;
  private unwritten = 0;

  constructor(
    private readonly db: Db,
    options: NonceStoreOptions = {},
  ) {
    this.flushEveryMs = options.flushEveryMs ?? 200;
    this.purgeEveryMs = options.purgeEveryMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.logger = options.logger;
  }

  private readonly logger: Logger | undefined;

  /** Reads the unexpired nonces already in the database; claims wait for it. Idempotent. */
  start(): Promise<void> {
    this.ready ??= (async () => {
      const rows = await this.db
        .select()
        .from(requestNonces)
        .where(gt(requestNonces.expiresAt, new Date(this.now())));
      rows.sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime());
      for (const row of rows) this.seen.set(`${row.keyId} ${row.nonce}`, row.expiresAt.getTime());
      this.timer = setInterval(() => void this.tick(), this.flushEveryMs);
      this.timer.unref();
    })();
    return this.ready;
  }

  /** True the first time a key uses a nonce within its window; false for a replay. */
  claim(keyId: string, nonce: string, expiresAt: Date): boolean {
    const key = `${keyId} ${nonce}`;
    const known = this.seen.get(key);
    if (known !== undefined && known > this.now()) return false;
    this.seen.delete(key);
    this.seen.set(key, expiresAt.getTime());
    if (this.pending.length < MAX_PENDING) this.pending.push({ keyId, nonce, expiresAt });
    else this.unwritten += 1;
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  /** Writes every claimed nonce not yet written. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      while (this.pending.length > 0) {
        const batch = this.pending.slice(0, 5_000);
        // One JSON parameter instead of three per row: cheap to build, cheap for PGlite to parse.
        const rows = JSON.stringify(batch.map((n) => ({ k: n.keyId, n: n.nonce, e: n.expiresAt.toISOString() })));
        await this.db.execute(sql`
          insert into request_nonces (key_id, nonce, expires_at)
          select k, n, e from jsonb_to_recordset(${rows}::jsonb) as r(k text, n text, e timestamptz)
          on conflict do nothing`);
        this.pending = this.pending.slice(batch.length);
      }
    });
    return this.flushing;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.ready;
    await this.flush();
  }

  private async tick(): Promise<void> {
    const now = this.now();
    for (const [key, expiresAt] of this.seen) {
      if (expiresAt > now) break;
      this.seen.delete(key);
    }
    try {
      await this.flush();
      if (now - this.lastPurge >= this.purgeEveryMs) {
        this.lastPurge = now;
        await this.db.delete(requestNonces).where(lt(requestNonces.expiresAt, new Date(now)));
      }
    } catch (error) {
      // The claims stay pending and are written on a later tick; memory still refuses replays.
      this.flushing = Promise.resolve();
      this.logger?.warn(
        { err: error, pending: this.pending.length, unwritten: this.unwritten },
        "could not write request nonces; will retry",
      );
    }
  }
}
