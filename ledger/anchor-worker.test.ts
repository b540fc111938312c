import { describe, expect, it } from "vitest";
import { nextDelayMs } from "./anchor-worker.js";

describe("the anchoring worker's pause between passes", () => {
  it("is the interval while all is well", () => {
    expect(nextDelayMs(0, 5_000, 60_000)).toBe(5_000);
  });

  it("doubles with each failure in a row, within ±25%, and stops at the cap", () => {
    for (let trial = 0; trial < 200; trial++) {
      for (const [failures, expected] of [
        [1, 10_000],
        [2, 20_000],
        [3, 40_000],
        [4, 60_000],
        [40, 60_000],
      ] as const) {
        const delay = nextDelayMs(failures, 5_000, 60_000);
        expect(delay).toBeGreaterThanOrEqual(expected * 0.75);
        expect(delay).toBeLessThanOrEqual(expected * 1.25);
      }
    }
  });

  it("spreads retries: many workers failing together do not all come back at once", () => {
    const delays = new Set(Array.from({ length: 50 }, () => nextDelayMs(3, 5_000, 60_000)));
    expect(delays.size).toBeGreaterThan(10);
  });
});
