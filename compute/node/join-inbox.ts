import { ComputeError } from "../errors.js";
import type { JoinEnvelope, JoinMessageKind } from "../join/envelope.js";

export interface JoinInboxOptions {
  /** Messages for jobs this node has not started are kept this long (ms). */
  earlyTtlMs?: number;
  maxJobs?: number;
  /** The most bytes of messages held at once, waiting to be asked for. */
  maxHeldBytes?: number;
  now?: () => number;
}

interface Waiter {
  resolve: (envelope: JoinEnvelope) => void;
  reject: (error: Error) => void;
}

const keyOf = (jobId: string, kind: JoinMessageKind, from: string, step: number) =>
  `${jobId}\n${kind}\n${from}\n${step}`;

/**
 * The messages other nodes send this node during joins. A message may come before this node has
 * the gateway's plan: it is kept until the node asks for it (a bounded number of jobs, each at most
 * 32 messages, at most `maxHeldBytes` in all, for `earlyTtlMs`). Its header is verified against the
 * pinned sender before it is delivered here; the asker opens it against the plan's pinned sender. A
 * second, different message for the same slot is refused.
 */
export function createJoinInbox(options: JoinInboxOptions = {}) {
  const ttl = options.earlyTtlMs ?? 60_000;
  const maxJobs = options.maxJobs ?? 64;
  const maxHeldBytes = options.maxHeldBytes ?? 2 * 1024 ** 3;
  const now = options.now ?? Date.now;
  const held = new Map<string, { envelope: JoinEnvelope; at: number }>();
  let heldBytes = 0;
  const drop = (key: string) => {
    const entry = held.get(key);
    if (!entry) return undefined;
    held.delete(key);
    heldBytes -= entry.envelope.ciphertext.length;
    return entry;
  };
  const waiters = new Map<string, Waiter>();
  const perJob = new Map<string, number>();

  function evictStale() {
    for (const [key, entry] of held) {
      if (now() - entry.at > ttl) {
        drop(key);
        const jobId = entry.envelope.header.jobId;
        perJob.set(jobId, (perJob.get(jobId) ?? 1) - 1);
        if ((perJob.get(jobId) ?? 0) <= 0) perJob.delete(jobId);
      }
    }
  }

  return {
    deliver(envelope: JoinEnvelope): void {
      const { header } = envelope;
      const key = keyOf(header.jobId, header.kind, header.from, header.step);
      const waiter = waiters.get(key);
      if (waiter) {
        waiters.delete(key);
        // Handed over on the next turn, so that the sender's acknowledgement leaves before the
        // recipient starts what may be seconds of computing on it.
        setImmediate(() => waiter.resolve(envelope));
        return;
      }
      const existing = held.get(key);
      if (existing) {
        if (existing.envelope.header.ciphertextSha256 === header.ciphertextSha256) return;
        throw new ComputeError("share_conflict", `${header.from} sent two different ${header.kind} messages`);
      }
      evictStale();
      const count = perJob.get(header.jobId) ?? 0;
      if (count === 0 && perJob.size >= maxJobs)
        throw new ComputeError("inbox_full", "too many joins are waiting for their plan");
      if (count >= 32) throw new ComputeError("share_rejected", "too many early messages for this join");
      if (heldBytes + envelope.ciphertext.length > maxHeldBytes)
        throw new ComputeError(
          "inbox_full",
          "this node holds as many bytes of join messages as it keeps; send it later",
        );
      perJob.set(header.jobId, count + 1);
      held.set(key, { envelope, at: now() });
      heldBytes += envelope.ciphertext.length;
    },

    /** Waits for one message; the caller verifies and opens it. */
    receive(
      jobId: string,
      kind: JoinMessageKind,
      from: string,
      step: number,
      timeoutMs: number,
    ): Promise<JoinEnvelope> {
      const key = keyOf(jobId, kind, from, step);
      const entry = drop(key);
      if (entry) {
        return Promise.resolve(entry.envelope);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(key);
          reject(new ComputeError("node_timeout", `no ${kind} from ${from} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.set(key, {
          resolve: (envelope) => {
            clearTimeout(timer);
            resolve(envelope);
          },
          reject,
        });
      });
    },

    /** Forgets a finished job's messages. */
    forget(jobId: string): void {
      for (const key of [...held.keys()]) if (key.startsWith(`${jobId}\n`)) drop(key);
      perJob.delete(jobId);
    },
  };
}

export type JoinInbox = ReturnType<typeof createJoinInbox>;
