import { and, eq, or, sql } from "drizzle-orm";
import type { Logger } from "../lib/logger.js";
import { type Db, leases } from "../store/index.js";

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
    const expiresAt = sql`clock_timestamp() + ${`${options.ttlMs} milliseconds`}::interval`;
    const held = await options.db
      .insert(leases)
      .values({ name: options.name, holder: options.holder, expiresAt, acquiredAt: sql`clock_timestamp()` })
      .onConflictDoUpdate({
        target: leases.name,
        set: {
          holder: options.holder,
          expiresAt,
          acquiredAt: sql`case when ${leases.holder} = ${options.holder} then ${leases.acquiredAt} else clock_timestamp() end`,
        },
        setWhere: or(eq(leases.holder, options.holder), sql`${leases.expiresAt} <= clock_timestamp()`),
      })
      .returning({ holder: leases.holder });
    return held.length === 1;
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
        .delete(leases)
        .where(and(eq(leases.name, options.name), eq(leases.holder, options.holder)))
        .catch((error: unknown) => options.logger?.warn({ err: error }, "the lease was not given up; it lapses"));
    },
  };
}

export type LeaderLease = ReturnType<typeof createLeaderLease>;
