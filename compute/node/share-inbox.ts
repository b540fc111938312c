import { ComputeError } from "../errors.js";
import { type ShareMessage, verifyShare } from "../protocol.js";

interface JobShares {
  senders: Map<string, string> | null;
  received: Map<string, bigint>;
  early: ShareMessage[];
  waiter?: { resolve: () => void; reject: (error: Error) => void };
  createdAt: number;
}

export interface ShareInboxOptions {
  /** Shares for jobs this node has not heard of yet are kept this long (ms). */
  earlyShareTtlMs?: number;
  maxEarlyJobs?: number;
  now?: () => number;
}

/**
 * Collects the shares peers send for each job. A share may arrive before the gateway's plan does;
 * it is kept unverified until the plan says which peers and keys to expect.
 */
export function createShareInbox(options: ShareInboxOptions = {}) {
  const ttl = options.earlyShareTtlMs ?? 60_000;
  const maxEarlyJobs = options.maxEarlyJobs ?? 1_000;
  const now = options.now ?? Date.now;
  const jobs = new Map<string, JobShares>();

  function evictStale() {
    for (const [jobId, job] of jobs) {
      if (job.senders === null && now() - job.createdAt > ttl) jobs.delete(jobId);
    }
  }

  function accept(job: JobShares, message: ShareMessage) {
    const key = job.senders?.get(message.from);
    if (!key) throw new ComputeError("share_rejected", `${message.from} is not a participant of job ${message.jobId}`);
    if (!verifyShare(message, key))
      throw new ComputeError("share_rejected", `the share from ${message.from} has a bad signature`);
    const value = BigInt(message.share);
    const existing = job.received.get(message.from);
    if (existing !== undefined && existing !== value) {
      throw new ComputeError("share_conflict", `${message.from} sent two different shares for job ${message.jobId}`);
    }
    job.received.set(message.from, value);
    if (job.received.size === job.senders?.size) job.waiter?.resolve();
  }

  return {
    /** Records a peer's share; throws when it cannot be verified against a known plan. */
    deliver(message: ShareMessage): void {
      let job = jobs.get(message.jobId);
      if (!job) {
        evictStale();
        if (jobs.size >= maxEarlyJobs) throw new ComputeError("inbox_full", "too many jobs are waiting for their plan");
        job = { senders: null, received: new Map(), early: [], createdAt: now() };
        jobs.set(message.jobId, job);
      }
      if (job.senders === null) {
        if (job.early.length >= 64) throw new ComputeError("share_rejected", "too many early shares for this job");
        job.early.push(message);
        return;
      }
      accept(job, message);
    },

    /** Declares which peers (and keys) must send a share, and waits for all of them. */
    async collect(jobId: string, senders: Map<string, string>, timeoutMs: number): Promise<Map<string, bigint>> {
      const job: JobShares = jobs.get(jobId) ?? { senders: null, received: new Map(), early: [], createdAt: now() };
      jobs.set(jobId, job);
      job.senders = senders;
      for (const message of job.early.splice(0)) {
        try {
          accept(job, message);
        } catch {
          // A share that does not verify against the plan is dropped; the real one may still come.
        }
      }
      try {
        if (job.received.size < senders.size) {
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => {
              const missing = [...senders.keys()].filter((id) => !job.received.has(id));
              reject(new ComputeError("node_timeout", `no share from ${missing.join(", ")} within ${timeoutMs} ms`));
            }, timeoutMs);
            job.waiter = {
              resolve: () => {
                clearTimeout(timer);
                resolve();
              },
              reject: (error) => {
                clearTimeout(timer);
                reject(error);
              },
            };
          });
        }
        return new Map(job.received);
      } finally {
        jobs.delete(jobId);
      }
    },

    pendingJobs: () => jobs.size,
  };
}

export type ShareInbox = ReturnType<typeof createShareInbox>;
