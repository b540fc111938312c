import { and, asc, eq, isNotNull, lt, sql } from "drizzle-orm";
import type { Logger } from "../../lib/logger.js";
import { type Db, jobs, leases, openPsiJobs } from "../../store/index.js";
import type { GatewayKeys } from "../deps.js";
import { endUnfinishedJob } from "./finish.js";

/** Longer than any job may run (a PSI job waits up to 15 minutes for its second round). */
export const STALE_JOB_MS = 30 * 60_000;

const INTERRUPTED = "interrupted: the gateway stopped before the job finished";
const ORPHANED = "interrupted: the gateway replica running it stopped before the job finished";

/** The name of the lease a replica holds while it is alive. */
export const replicaLease = (replicaId: string) => `replica/${replicaId}`;

/**
 * Ends the jobs still `running` that started before `startedBefore`: a gateway that stopped in the
 * middle of them left them so. Each fails and gives its reservation of a query and ε back, in the
 * same transaction, unless a result had already left for the operator: that one is charged and
 * gets its usage record (endUnfinishedJob). Returns the ids of the jobs it ended.
 */
export async function endStaleJobs(
  deps: { db: Db; gatewayKeys: GatewayKeys },
  startedBefore: Date,
  now = new Date(),
): Promise<string[]> {
  return deps.db.transaction(async (tx) => {
    const stale = await tx
      .select()
      .from(jobs)
      .where(and(eq(jobs.status, "running"), lt(jobs.createdAt, startedBefore)))
      .orderBy(asc(jobs.createdAt))
      .for("update", { skipLocked: true });
    for (const job of stale) await endUnfinishedJob(tx, deps.gatewayKeys, job, INTERRUPTED, now);
    return stale.map((job) => job.id);
  });
}

/**
 * Ends at once the jobs a dead replica was running: `running`, recorded with a replica whose
 * liveness lease has lapsed, and not an open PSI job between rounds (any replica serves those, and
 * their window ends them). Each fails and gives its reservation back, or is charged if a result
 * had left, exactly as the stale sweep does; the dead replica can never complete it afterwards.
 */
export async function endOrphanedJobs(deps: { db: Db; gatewayKeys: GatewayKeys }, now = new Date()): Promise<string[]> {
  return deps.db.transaction(async (tx) => {
    const orphaned = await tx
      .select()
      .from(jobs)
      .where(
        and(
          eq(jobs.status, "running"),
          isNotNull(jobs.replicaId),
          sql`not exists (select 1 from ${leases} where ${leases.name} = ${replicaLease("")} || ${jobs.replicaId} and ${leases.expiresAt} > clock_timestamp())`,
          sql`not exists (select 1 from ${openPsiJobs} where ${openPsiJobs.jobId} = ${jobs.id})`,
        ),
      )
      .orderBy(asc(jobs.createdAt))
      .for("update", { of: jobs, skipLocked: true });
    for (const job of orphaned) await endUnfinishedJob(tx, deps.gatewayKeys, job, ORPHANED, now);
    return orphaned.map((job) => job.id);
  });
}

/** Sweeps stale jobs every `intervalMs`, starting at once (after a restart, that is when it matters). */
export function startStaleJobSweep(options: {
  db: Db;
  gatewayKeys: GatewayKeys;
  logger?: Logger;
  intervalMs?: number;
  /** How often the jobs of dead replicas are looked for. */
  orphanIntervalMs?: number;
  maxAgeMs?: number;
}) {
  const sweep = () =>
    endStaleJobs(options, new Date(Date.now() - (options.maxAgeMs ?? STALE_JOB_MS)))
      .then((ids) => {
        if (ids.length) options.logger?.warn({ jobIds: ids }, "ended jobs a stopped gateway left running");
      })
      .catch((error: unknown) => options.logger?.warn({ err: error }, "sweeping stale jobs failed; will retry"));
  const sweepOrphans = () =>
    endOrphanedJobs(options)
      .then((ids) => {
        if (ids.length) options.logger?.warn({ jobIds: ids }, "ended jobs a dead replica left running");
      })
      .catch((error: unknown) =>
        options.logger?.warn({ err: error }, "sweeping a dead replica's jobs failed; will retry"),
      );
  void sweep();
  const timer = setInterval(sweep, options.intervalMs ?? 60_000);
  timer.unref();
  const orphanTimer = setInterval(sweepOrphans, options.orphanIntervalMs ?? 5_000);
  orphanTimer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      clearInterval(orphanTimer);
    },
  };
}
