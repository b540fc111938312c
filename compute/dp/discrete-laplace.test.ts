import { describe, expect, it } from "vitest";
import { bernoulliExpMinus, sampleDiscreteLaplace, uniformBelow } from "./discrete-laplace.js";

// Statistical checks with thresholds far in the tails: a correct sampler fails them about once in a
// million runs; a sampler with the wrong scale or a bias fails them every time.

function chiSquare(observed: number[], expected: number[]): number {
  return observed.reduce((sum, o, i) => sum + (o - (expected[i] as number)) ** 2 / (expected[i] as number), 0);
}

describe("exact discrete Laplace sampling (Canonne, Kamath, Steinke 2020)", () => {
  it("draws uniform integers below n without bias", () => {
    const n = 6n;
    const counts = Array(6).fill(0) as number[];
    for (let i = 0; i < 30_000; i++) (counts[Number(uniformBelow(n))] as number)++;
    // df 5: P(χ² > 35) ≈ 1.6e-6
    expect(chiSquare(counts, Array(6).fill(5_000))).toBeLessThan(35);
    expect(uniformBelow(1n)).toBe(0n);
    expect(uniformBelow(2n ** 100n)).toBeLessThan(2n ** 100n);
    expect(() => uniformBelow(0n)).toThrow(RangeError);
  });

  it.each([
    [1n, 2n],
    [5n, 2n],
    [0n, 1n],
  ])("draws Bernoulli(exp(−%i/%i)) with that probability", (num, den) => {
    const p = Math.exp(-Number(num) / Number(den));
    const n = 40_000;
    let ones = 0;
    for (let i = 0; i < n; i++) if (bernoulliExpMinus(num, den)) ones++;
    const sd = Math.sqrt(n * p * (1 - p) || 1);
    expect(Math.abs(ones - n * p)).toBeLessThan(5 * sd + 1);
  });

  it.each([
    [2n, 1n],
    [7n, 2n],
  ])("matches P(x) ∝ exp(−|x|/scale) for scale %i/%i", (num, den) => {
    const scale = Number(num) / Number(den);
    const q = Math.exp(-1 / scale);
    const probability = (x: number) => ((1 - q) / (1 + q)) * q ** Math.abs(x);
    const n = 60_000;
    const edge = Math.ceil(3 * scale);
    const counts = new Map<number, number>();
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const x = Number(sampleDiscreteLaplace(num, den));
      sum += x;
      const bucket = Math.max(-edge - 1, Math.min(edge + 1, x));
      counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
    }
    const buckets = Array.from({ length: 2 * edge + 3 }, (_, i) => i - edge - 1);
    const tail = (1 - buckets.slice(1, -1).reduce((s, x) => s + probability(x), 0)) / 2;
    const expected = buckets.map((x) => n * (Math.abs(x) === edge + 1 ? tail : probability(x)));
    const observed = buckets.map((x) => counts.get(x) ?? 0);
    const df = buckets.length - 1;
    // Wilson–Hilferty: the χ² quantile with z = 4.75 (P ≈ 1e-6).
    const critical = df * (1 - 2 / (9 * df) + 4.75 * Math.sqrt(2 / (9 * df))) ** 3;
    expect(chiSquare(observed, expected)).toBeLessThan(critical);
    const variance = (2 * q) / (1 - q) ** 2;
    expect(Math.abs(sum / n)).toBeLessThan(5 * Math.sqrt(variance / n));
  });

  it("refuses a non-positive scale", () => {
    expect(() => sampleDiscreteLaplace(0n, 1n)).toThrow(RangeError);
    expect(() => sampleDiscreteLaplace(1n, 0n)).toThrow(RangeError);
  });
});
