import { SluiceError } from "../../lib/errors.js";

/**
 * A token bucket per participant: `perMinute` requests a minute, with bursts up to that many.
 * Kept in this process: with several gateway replicas each enforces its own share.
 */
export function createRateLimiter(options: { perMinute: number; now: () => number }) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const refillPerMs = options.perMinute / 60_000;
  return {
    /** Takes one token for `key`; throws a 429 problem when none is left. */
    take(key: string): void {
      if (options.perMinute <= 0) return;
      const now = options.now();
      const bucket = buckets.get(key) ?? { tokens: options.perMinute, at: now };
      bucket.tokens = Math.min(options.perMinute, bucket.tokens + (now - bucket.at) * refillPerMs);
      bucket.at = now;
      if (bucket.tokens < 1) {
        buckets.set(key, bucket);
        const retryAfter = Math.ceil((1 - bucket.tokens) / refillPerMs / 1000);
        throw new SluiceError(
          "rate_limited",
          `${key} is over its limit of ${options.perMinute} requests a minute; retry in ${retryAfter} s`,
          {
            details: { retryAfterSeconds: retryAfter, limitPerMinute: options.perMinute },
          },
        );
      }
      bucket.tokens -= 1;
      buckets.set(key, bucket);
      if (buckets.size > 100_000) buckets.delete(buckets.keys().next().value as string);
    },
  };
}

/** At most `max` jobs at once per operator; the slot is given back however the job ends. */
export function createConcurrencyLimiter(max: number) {
  const running = new Map<string, number>();
  return {
    async run<T>(key: string, work: () => Promise<T>): Promise<T> {
      const current = running.get(key) ?? 0;
      if (max > 0 && current >= max) {
        throw new SluiceError(
          "too_many_jobs",
          `${key} already has ${current} jobs running; at most ${max} run at once`,
          {
            details: { retryAfterSeconds: 1, maxConcurrentJobs: max },
          },
        );
      }
      running.set(key, current + 1);
      try {
        return await work();
      } finally {
        const left = (running.get(key) ?? 1) - 1;
        if (left === 0) running.delete(key);
        else running.set(key, left);
      }
    },
  };
}
