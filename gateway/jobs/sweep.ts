import { and, eq, lt } from "drizzle-orm";
import type { Logger } from "../../lib/logger.js";
import { type Db, jobs } from "../../store/index.js";
import { releaseUsage } from "../services/usage.js";

/** Longer than any job may run (a PSI job waits up to 15 minutes for its second round). */
export const STALE_JOB_MS = 30 * 60_000;

/**
 * Fails the jobs still `running` that started before `startedBefore`: a gateway that stopped in
 * the middle of them left them so. Each gives its reservation of a query and ε back, in the same
 * transaction, and none leaves a usage record.
 */
export async function failStaleJobs(db: Db, startedBefore: Date, now = new Date()): Promise<string[]> {
  return db.transaction(async (tx) => {
    const stale = await tx
      .update(jobs)
      .set({ status: "failed", error: "interrupted: the gateway stopped before the job finished", finishedAt: now })
      .where(and(eq(jobs.status, "running"), lt(jobs.createdAt, startedBefore)))
      .returning({ id: jobs.id, scenarioId: jobs.scenarioId, epsilonMicro: jobs.epsilonMicro });
    for (const job of stale) await releaseUsage(tx, job.scenarioId, job.epsilonMicro);
    return stale.map((job) => job.id);
  });
}

/** Sweeps stale jobs every `intervalMs`, starting at once (after a restart, that is when it matters). */
export function startStaleJobSweep(options: { db: Db; logger?: Logger; intervalMs?: number; maxAgeMs?: number }) {
  const sweep = () =>
    failStaleJobs(options.db, new Date(Date.now() - (options.maxAgeMs ?? STALE_JOB_MS)))
      .then((ids) => {
        if (ids.length) options.logger?.warn({ jobIds: ids }, "failed jobs a stopped gateway left running");
      })
      .catch((error: unknown) => options.logger?.warn({ err: error }, "sweeping stale jobs failed; will retry"));
  void sweep();
  const timer = setInterval(sweep, options.intervalMs ?? 60_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
