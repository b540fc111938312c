import { describe, expect, it } from "vitest";
import { SluiceError } from "../../lib/errors.js";
import { createConcurrencyLimiter, createRateLimiter } from "./limits.js";

describe("per-participant rate limit", () => {
  it("allows the burst, refuses the next with the wait, and refills over time", () => {
    let now = 0;
    const limiter = createRateLimiter({ perMinute: 3, now: () => now });
    for (let i = 0; i < 3; i++) limiter.take("bank");
    let refused: SluiceError | undefined;
    try {
      limiter.take("bank");
    } catch (error) {
      refused = error as SluiceError;
    }
    expect(refused?.code).toBe("rate_limited");
    expect(refused?.details).toEqual({ retryAfterSeconds: 20, limitPerMinute: 3 });
    limiter.take("other");
    now += 20_000;
    expect(() => limiter.take("bank")).not.toThrow();
    expect(() => limiter.take("bank")).toThrow(SluiceError);
  });

  it("is off when the limit is 0", () => {
    const limiter = createRateLimiter({ perMinute: 0, now: () => 0 });
    expect(() => {
      for (let i = 0; i < 1_000; i++) limiter.take("bank");
    }).not.toThrow();
  });
});

describe("concurrent-job limit", () => {
  it("refuses a job over the limit and frees the slot however a job ends", async () => {
    const limiter = createConcurrencyLimiter(1);
    let finish: () => void = () => {};
    const first = limiter.run(
      "bank",
      () =>
        new Promise<void>((resolve) => {
          finish = resolve;
        }),
    );
    await expect(limiter.run("bank", async () => 1)).rejects.toMatchObject({ code: "too_many_jobs" });
    expect(await limiter.run("other", async () => 2)).toBe(2);
    finish();
    await first;
    await expect(limiter.run("bank", async () => Promise.reject(new Error("node down")))).rejects.toThrow("node down");
    expect(await limiter.run("bank", async () => 3)).toBe(3);
  });
});
