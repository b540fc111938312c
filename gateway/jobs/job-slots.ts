import { and, count, eq, gt, lte, sql } from "drizzle-orm";
import { SluiceError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import type { Logger } from "../../lib/logger.js";
import { type Db, jobSlots } from "../../store/index.js";

export interface JobSlotsOptions {
  /** Jobs an operator may have running at once, across every replica (0: no limit). */
  max: number;
  /** How long a slot outlives the last sign that its replica is alive; it is renewed a third of this apart. */
  leaseMs?: number;
  now?: () => Date;
  logger?: Logger;
}

/**
 * At most `max` jobs at once per operator, counted in the database every replica shares: a job
 * holds a row while it runs (taken under the operator's advisory lock, so two replicas never both
 * take the last slot) and gives it back however it ends. rate-limiter-flexible counts requests per
 * window, not work in progress, so it cannot hold this limit. A replica that dies stops renewing
 * its slots, and they free themselves within `leaseMs`.
 */
export function createJobSlots(db: Db, options: JobSlotsOptions) {
  const leaseMs = options.leaseMs ?? 30_000;
  const now = options.now ?? (() => new Date());
  const until = () => new Date(now().getTime() + leaseMs);

  async function take(operatorId: string): Promise<string> {
    const id = newId("slot");
    await db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`job-slots:${operatorId}`}, 0))`);
      await tx.delete(jobSlots).where(and(eq(jobSlots.operatorId, operatorId), lte(jobSlots.expiresAt, now())));
      const [held] = await tx.select({ n: count() }).from(jobSlots).where(eq(jobSlots.operatorId, operatorId));
      const running = held?.n ?? 0;
      if (running >= options.max) {
        throw new SluiceError(
          "too_many_jobs",
          `${operatorId} already has ${running} jobs running; at most ${options.max} run at once`,
          { details: { retryAfterSeconds: 1, maxConcurrentJobs: options.max } },
        );
      }
      await tx.insert(jobSlots).values({ id, operatorId, expiresAt: until() });
    });
    return id;
  }

  return {
    /** Runs `work` in one of the operator's slots; throws `too_many_jobs` (429) when none is free. */
    async run<T>(operatorId: string, work: () => Promise<T>): Promise<T> {
      if (options.max <= 0) return work();
      const id = await take(operatorId);
      const renew = setInterval(() => {
        db.update(jobSlots)
          .set({ expiresAt: until() })
          .where(and(eq(jobSlots.id, id), gt(jobSlots.expiresAt, now())))
          .catch((error: unknown) => options.logger?.warn({ err: error, operatorId }, "a job slot was not renewed"));
      }, leaseMs / 3);
      renew.unref();
      try {
        return await work();
      } finally {
        clearInterval(renew);
        await db
          .delete(jobSlots)
          .where(eq(jobSlots.id, id))
          .catch((error: unknown) =>
            options.logger?.warn({ err: error, operatorId }, "a job slot was not given back; it lapses by itself"),
          );
      }
    },
  };
}
