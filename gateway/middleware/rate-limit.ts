import { RateLimiterDrizzle, RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { SluiceError } from "../../lib/errors.js";
import { type Db, rateLimits } from "../../store/index.js";

export interface RateLimiter {
  /** Counts one request for `key`; throws a 429 problem when its minute's allowance is spent. */
  take(key: string): Promise<void>;
}

/**
 * `perMinute` signed requests a participant may make in each minute (a fixed window from its first
 * request), counted by rate-limiter-flexible: in the database when `shared` is given, so that the
 * limit holds across every gateway replica on it, in this process's memory otherwise. 0: no limit.
 * A database that cannot count refuses the request (503) rather than let it through uncounted.
 */
export function createRateLimiter(options: { perMinute: number; shared?: Db }): RateLimiter {
  if (options.perMinute <= 0) return { take: async () => {} };
  const settings = { points: options.perMinute, duration: 60, keyPrefix: "signed" };
  const limiter = options.shared
    ? new RateLimiterDrizzle({ ...settings, storeClient: options.shared, schema: rateLimits })
    : new RateLimiterMemory(settings);
  return {
    async take(key) {
      try {
        await limiter.consume(key);
      } catch (outcome) {
        if (!(outcome instanceof RateLimiterRes)) {
          throw new SluiceError("unavailable", "the gateway cannot count this request against its rate limit now", {
            cause: outcome,
            details: { retryAfterSeconds: 1 },
          });
        }
        const retryAfter = Math.max(1, Math.ceil(outcome.msBeforeNext / 1000));
        throw new SluiceError(
          "rate_limited",
          `${key} is over its limit of ${options.perMinute} requests a minute; retry in ${retryAfter} s`,
          { details: { retryAfterSeconds: retryAfter, limitPerMinute: options.perMinute } },
        );
      }
    },
  };
}
