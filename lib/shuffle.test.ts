import { describe, expect, it } from "vitest";
import { randomOrder } from "./shuffle.js";

describe("random orders", () => {
  it("are permutations", () => {
    const order = randomOrder(1_000);
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 1_000 }, (_, i) => i));
  });

  it("give each of the 6 orders of 3 items about a sixth of the time", () => {
    const seen = new Map<string, number>();
    for (let run = 0; run < 6_000; run++) {
      const key = randomOrder(3).join();
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    expect(seen.size).toBe(6);
    // 1,000 expected each; 5 standard deviations (≈ 5·√833) either side.
    for (const n of seen.values()) expect(Math.abs(n - 1_000)).toBeLessThan(150);
  });
});
