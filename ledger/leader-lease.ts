import { sql } from "drizzle-orm";
import type { Logger } from "../lib/logger.js";
import type { Db } from "../store/index.js";

/** The lease of the replica that anchors. */
export const ANCHORING_LEASE = "anchoring";

export interface LeaderLeaseOptions {
  db: Db;
  /** What is led (one lease per name). */
  name: string;
  /** This replica, as the lease records it. */
  holder: string;
  /** How long the lease lasts unless renewed; it is renewed a third of this apart. */
  ttlMs: number;
  logger?: Logger;
}

/**
 * A lease in the shared database that one replica holds at a time, by the database's clock (so
 * replicas' clocks need not agree): the holder renews it, the others try to take it on the same
 * beat and succeed once it has lapsed, that is within `ttlMs` of the holder dying or losing the
 * database. A holder that misses its renewal stops leading at once.
 */
export function createLeaderLease(options: LeaderLeaseOptions) {
  const everyMs = Math.max(50, Math.floor(options.ttlMs / 3));
  let held = false;
  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let beat: Promise<void> = Promise.resolve();

  async function tryHold(): Promise<boolean> {
    const ttl = `${options.ttlMs} milliseconds`;
    const rows = (await options.db.execute(sql`
      insert into leases (name, holder, expires_at, acquired_at)
      values (${options.name}, ${options.holder}, clock_timestamp() + ${ttl}::interval, clock_timestamp())
      on conflict (name) do update set
        holder = excluded.holder,
        expires_at = excluded.expires_at,
        acquired_at = case when leases.holder = excluded.holder then leases.acquired_at else excluded.acquired_at end
      where leases.holder = excluded.holder or leases.expires_at <= clock_timestamp()
      returning holder`)) as unknown as { holder: string }[] | { rows: { holder: string }[] };
    const list = Array.isArray(rows) ? rows : rows.rows;
    return list.length === 1;
  }

  const tick = () => {
    beat = tryHold()
      .then((now) => {
        if (now !== held)
          options.logger?.info({ lease: options.name, holder: options.holder, held: now }, "lease changed hands");
        held = now;
      })
      .catch((error: unknown) => {
        if (held)
          options.logger?.warn({ err: error, lease: options.name }, "the lease could not be renewed; not leading");
        held = false;
      })
      .then(() => {
        if (!running) return;
        timer = setTimeout(tick, everyMs);
        timer.unref();
      });
  };

  return {
    /** Whether this replica leads now. */
    get held() {
      return held;
    },
    /** Starts trying for the lease (and renewing it once held); resolves after the first try. */
    async start(): Promise<void> {
      running = true;
      tick();
      await beat;
    },
    /** Stops renewing; a lease held is given up at once, so a standby takes over without waiting. */
    async stop(): Promise<void> {
      running = false;
      clearTimeout(timer);
      await beat;
      if (!held) return;
      held = false;
      await options.db
        .execute(sql`delete from leases where name = ${options.name} and holder = ${options.holder}`)
        .catch((error: unknown) => options.logger?.warn({ err: error }, "the lease was not given up; it lapses"));
    },
  };
}

export type LeaderLease = ReturnType<typeof createLeaderLease>;
