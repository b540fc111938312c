import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { addInRing, decodeVector, fromRing, toRing } from "../mpc/ring.js";
import { helperShares, operatorShares } from "./sum-shares.js";

describe("PSI-sum shares from a seed", () => {
  const seed = randomBytes(32);
  const totals = [0n, 1n, -5n, 123_456_789n, -(2n ** 60n), 2n ** 70n];

  it("add up to each total modulo 2^128, wherever the range starts", () => {
    const mine = decodeVector(operatorShares(seed, 1_000, totals), totals.length);
    const theirs = helperShares(seed, 1_000, totals.length);
    totals.forEach((total, i) => {
      expect(fromRing(addInRing(mine[i] as bigint, theirs[i] as bigint))).toBe(total);
    });
    // The helper's share of entity 1,003 is the same whether computed alone or in a run from 1,000.
    expect(helperShares(seed, 1_003, 1)[0]).toBe(theirs[3]);
  });

  it("depend on the seed and the position only, and the operator's alone say nothing of the total", () => {
    const [first] = helperShares(seed, 0, 1);
    const [again] = helperShares(seed, 0, 2);
    expect(first).toBe(again);
    expect(helperShares(randomBytes(32), 0, 1)[0]).not.toBe(first);
    expect(() => helperShares(Buffer.alloc(16), 0, 1)).toThrow(/32 bytes/);
    // The operator's shares alone are uniform: the same total under two seeds gives unrelated shares.
    const [a] = decodeVector(operatorShares(randomBytes(32), 0, [toRing(7n)]), 1);
    const [b] = decodeVector(operatorShares(randomBytes(32), 0, [toRing(7n)]), 1);
    expect(a).not.toBe(b);
  });
});
