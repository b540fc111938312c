import { describe, expect, it } from "vitest";
import { ComputeError } from "../errors.js";
import { addNoise, noiseScales } from "./noise.js";

describe("the noise each party adds", () => {
  it("adds none when ε is 0", () => {
    expect(noiseScales({ aggregate: "sum", filters: [] }, 1, 2, 0)).toBeNull();
    expect(addNoise([5n, 7n], null)).toEqual([5n, 7n]);
  });

  it("splits ε between the measures and scales each by its sensitivity and the number of owners", () => {
    // variance: three measures, ε = 0.5 → 1/6 each; bounds ±20.00 in hundredths → 2000; two owners.
    const scales = noiseScales({ aggregate: "variance", filters: [], bounds: { min: -20, max: 5 } }, 100, 2, 500_000);
    const asNumber = scales?.map((s) => Number(s.num) / Number(s.den));
    expect(scales?.map((s) => s.measure)).toEqual(["count", "sum", "sumOfSquares"]);
    expect(asNumber).toEqual([1 * 2 * 3 * 2, 2_000 * 2 * 3 * 2, 4_000_000 * 2 * 3 * 2]);
  });

  it("needs bounds to add noise to a sum", () => {
    expect(() => noiseScales({ aggregate: "mean", filters: [] }, 1, 2, 1_000_000)).toThrow(ComputeError);
    expect(noiseScales({ aggregate: "histogram", filters: [], bins: [1] }, 1, 2, 1_000_000)).toHaveLength(1);
  });

  it("changes the values by fresh integer noise each time", () => {
    const scales = noiseScales({ aggregate: "count", filters: [] }, 1, 3, 100_000);
    const draws = Array.from({ length: 20 }, () => addNoise([1_000n], scales)[0] as bigint);
    expect(new Set(draws).size).toBeGreaterThan(5);
    expect(draws.every((d) => typeof d === "bigint")).toBe(true);
  });
});
