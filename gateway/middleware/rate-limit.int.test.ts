import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { SluiceError } from "../../lib/errors.js";
import type { Database } from "../../store/index.js";
import { testDatabases } from "../../test/support/databases.js";
import { createRateLimiter } from "./rate-limit.js";

async function refusal(take: Promise<void>): Promise<SluiceError | undefined> {
  try {
    await take;
    return undefined;
  } catch (error) {
    return error as SluiceError;
  }
}

describe("per-participant rate limit in memory", () => {
  afterEach(() => vi.useRealTimers());

  it("allows a minute's allowance, refuses the next with the wait, and opens the next minute", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: 0 });
    const limiter = createRateLimiter({ perMinute: 3 });
    for (let i = 0; i < 3; i++) await limiter.take("bank");
    vi.setSystemTime(20_000);
    const refused = await refusal(limiter.take("bank"));
    expect(refused?.code).toBe("rate_limited");
    expect(refused?.details).toEqual({ retryAfterSeconds: 40, limitPerMinute: 3 });
    await limiter.take("other");
    vi.setSystemTime(60_001);
    await expect(limiter.take("bank")).resolves.toBeUndefined();
  });

  it("is off when the limit is 0", async () => {
    const limiter = createRateLimiter({ perMinute: 0 });
    for (let i = 0; i < 1_000; i++) await limiter.take("bank");
  });
});

describe.each(testDatabases())("per-participant rate limit shared on $name", ({ open }) => {
  let database: Database;
  beforeAll(async () => {
    database = await open();
  });
  afterAll(async () => {
    await database?.close();
  });

  it("holds across replicas: what one counted, the other refuses", async () => {
    const [first, second] = [1, 2].map(() => createRateLimiter({ perMinute: 4, shared: database.db })) as [
      ReturnType<typeof createRateLimiter>,
      ReturnType<typeof createRateLimiter>,
    ];
    await Promise.all([first.take("op_a"), second.take("op_a"), first.take("op_a"), second.take("op_a")]);
    expect((await refusal(second.take("op_a")))?.code).toBe("rate_limited");
    expect((await refusal(first.take("op_a")))?.code).toBe("rate_limited");
    await expect(second.take("op_b")).resolves.toBeUndefined();
  });

  it("refuses (503) rather than lets a request through when the database cannot count", async () => {
    const lost = await open();
    await lost.close();
    const limiter = createRateLimiter({ perMinute: 4, shared: lost.db });
    const refused = await refusal(limiter.take("op_c"));
    expect(refused?.code).toBe("unavailable");
  });
});
