import { describe, expect, it } from "vitest";
import type { AggregateQuery } from "../query/schema.js";
import { joinRingBits, type RingDeciding } from "./ring-bits.js";

const plan = (
  query: Partial<AggregateQuery>,
  {
    caps = [1, 1],
    valueScale = 1,
    epsilonMicro = 0,
  }: { caps?: number[]; valueScale?: 1 | 100; epsilonMicro?: number } = {},
): RingDeciding => ({
  query: { aggregate: "count", ...query } as RingDeciding["query"],
  parts: caps.map((maxRowsPerKey) => ({ maxRowsPerKey })),
  valueScale,
  epsilonMicro,
});

describe("the ring a join computes in", () => {
  it("is Z/2^64 for counts and for sums whose bounds prove no cell reaches 2^62", () => {
    expect(joinRingBits(plan({ aggregate: "count" }, { caps: [100, 100, 100] }))).toBe(64);
    expect(joinRingBits(plan({ aggregate: "histogram", bins: [1, 2] }))).toBe(64);
    // 2^24 keys × 1 × 10^9 fen stays below 2^62 (≈ 4.6·10^18); at a cap of 4 a side too.
    expect(joinRingBits(plan({ aggregate: "mean", bounds: { min: 0, max: 1e9 } }, { caps: [4, 4] }))).toBe(64);
    expect(joinRingBits(plan({ aggregate: "variance", bounds: { min: -1000, max: 1000 } }))).toBe(64);
  });

  it("is Z/2^128 when a sum has no bounds, or its bounds, row caps, scale or noise could reach 2^62", () => {
    expect(joinRingBits(plan({ aggregate: "sum" }))).toBe(128);
    expect(joinRingBits(plan({ aggregate: "mean", bounds: { min: -1e12, max: 0 } }))).toBe(128);
    // Hundredths multiply the bound: 10^10 yuan is 10^12 fen (10^10 alone would fit).
    expect(joinRingBits(plan({ aggregate: "sum", bounds: { min: 0, max: 1e10 } }))).toBe(64);
    expect(joinRingBits(plan({ aggregate: "sum", bounds: { min: 0, max: 1e10 } }, { valueScale: 100 }))).toBe(128);
    expect(joinRingBits(plan({ aggregate: "sum", bounds: { min: 0, max: 1e9 } }, { caps: [100, 100] }))).toBe(128);
    // A sum of squares of amounts up to 10^6 already passes 2^62 over 2^24 keys.
    expect(joinRingBits(plan({ aggregate: "variance", bounds: { min: 0, max: 1e6 } }))).toBe(128);
    // Noise at a tiny ε: each sample's scale is the sensitivity over ε.
    const bounds = { min: 0, max: 1e10 };
    expect(joinRingBits(plan({ aggregate: "sum", bounds }, { epsilonMicro: 1_000_000 }))).toBe(64);
    expect(joinRingBits(plan({ aggregate: "sum", bounds }, { epsilonMicro: 1 }))).toBe(128);
  });
});
