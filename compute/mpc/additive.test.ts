import { describe, expect, it } from "vitest";
import { addInRing, fromRing, isRingElement, splitIntoShares, toRing } from "./additive.js";

describe("additive secret sharing over Z/2^64", () => {
  it.each([0n, 1n, -1n, 123_456_789_012n, -(2n ** 63n), 2n ** 63n - 1n])("reconstructs %s from its shares", (value) => {
    for (const parties of [2, 3, 5]) {
      const shares = splitIntoShares(value, parties);
      expect(shares).toHaveLength(parties);
      expect(shares.every(isRingElement)).toBe(true);
      expect(fromRing(addInRing(...shares))).toBe(value);
    }
  });

  it("adds shared values share-wise", () => {
    const a = splitIntoShares(1_000n, 3);
    const b = splitIntoShares(-250n, 3);
    const partials = a.map((share, i) => addInRing(share, b[i] as bigint));
    expect(fromRing(addInRing(...partials))).toBe(750n);
  });

  it("gives fresh, different shares each time for the same value", () => {
    const first = splitIntoShares(42n, 2);
    const second = splitIntoShares(42n, 2);
    expect(first[0]).not.toBe(second[0]);
  });

  it("refuses values outside the signed 64-bit range and fewer than two parties", () => {
    expect(() => toRing(2n ** 63n)).toThrow(RangeError);
    expect(() => toRing(-(2n ** 63n) - 1n)).toThrow(RangeError);
    expect(() => splitIntoShares(1n, 1)).toThrow(RangeError);
  });
});
