import { ComputeError } from "../errors.js";
import { type ShareMessage, verifyShare } from "../protocol.js";

export interface ExpectedShares {
  /** Each peer that must send a share, with the Ed25519 key it signs with. */
  senders: Map<string, string>;
  /** Opens a share whose signature verified: decrypts and decodes it, or throws. */
  open(message: ShareMessage): bigint[];
}

interface JobShares {
  expected: ExpectedShares | null;
  received: Map<string, bigint[]>;
  early: ShareMessage[];
  waiter?: { resolve: () => void; reject: (error: Error) => void };
  failure?: Error;
  createdAt: number;
}

export interface ShareInboxOptions {
  /** Shares for jobs this node has not heard of yet are kept this long (ms). */
  earlyShareTtlMs?: number;
  maxEarlyJobs?: number;
  now?: () => number;
}

const sameVector = (a: bigint[], b: bigint[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Collects the shares peers send for each job. A share may arrive before the gateway's plan does;
 * it is kept unverified until the plan says which peers and keys to expect. A share that is signed
 * by a participant but cannot be opened (wrong length, altered, sealed to another key) fails the
 * job at once for this node; one that is not signed by a participant is refused and ignored.
 */
export function createShareInbox(options: ShareInboxOptions = {}) {
  const ttl = options.earlyShareTtlMs ?? 60_000;
  const maxEarlyJobs = options.maxEarlyJobs ?? 1_000;
  const now = options.now ?? Date.now;
  const jobs = new Map<string, JobShares>();

  function evictStale() {
    for (const [jobId, job] of jobs) {
      if (job.expected === null && now() - job.createdAt > ttl) jobs.delete(jobId);
    }
  }

  function fail(job: JobShares, error: Error) {
    job.failure ??= error;
    job.waiter?.reject(error);
  }

  function accept(job: JobShares, message: ShareMessage) {
    const expected = job.expected as ExpectedShares;
    const key = expected.senders.get(message.from);
    if (!key) throw new ComputeError("share_rejected", `${message.from} is not a participant of job ${message.jobId}`);
    if (!verifyShare(message, key))
      throw new ComputeError("share_rejected", `the share from ${message.from} has a bad signature`);
    let vector: bigint[];
    try {
      vector = expected.open(message);
    } catch (error) {
      const refused = new ComputeError(
        "share_rejected",
        `the share from ${message.from} is malformed: ${(error as Error).message}`,
        {
          cause: error,
          nodeId: message.from,
        },
      );
      fail(job, refused);
      throw refused;
    }
    const existing = job.received.get(message.from);
    if (existing && !sameVector(existing, vector)) {
      const conflict = new ComputeError(
        "share_conflict",
        `${message.from} sent two different shares for job ${message.jobId}`,
      );
      fail(job, conflict);
      throw conflict;
    }
    job.received.set(message.from, vector);
    if (job.received.size === expected.senders.size) job.waiter?.resolve();
  }

  return {
    /** Records a peer's share; throws when it cannot be verified against a known plan. */
    deliver(message: ShareMessage): void {
      let job = jobs.get(message.jobId);
      if (!job) {
        evictStale();
        if (jobs.size >= maxEarlyJobs) throw new ComputeError("inbox_full", "too many jobs are waiting for their plan");
        job = { expected: null, received: new Map(), early: [], createdAt: now() };
        jobs.set(message.jobId, job);
      }
      if (job.expected === null) {
        if (job.early.length >= 64) throw new ComputeError("share_rejected", "too many early shares for this job");
        job.early.push(message);
        return;
      }
      accept(job, message);
    },

    /** Declares which peers must send a share and how to open it, and waits for all of them. */
    async collect(jobId: string, expected: ExpectedShares, timeoutMs: number): Promise<Map<string, bigint[]>> {
      const job: JobShares = jobs.get(jobId) ?? { expected: null, received: new Map(), early: [], createdAt: now() };
      jobs.set(jobId, job);
      job.expected = expected;
      for (const message of job.early.splice(0)) {
        try {
          accept(job, message);
        } catch {
          // An unsigned early share is dropped (the real one may still come); a signed bad one failed the job.
        }
      }
      try {
        if (job.failure) throw job.failure;
        if (job.received.size < expected.senders.size) {
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => {
              const missing = [...expected.senders.keys()].filter((id) => !job.received.has(id));
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
