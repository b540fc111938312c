import { describe, expect, it } from "vitest";
import {
  addInRing,
  addVectors,
  decodeVector,
  encodeVector,
  fromRing,
  isRingElement,
  splitIntoShares,
  splitVector,
  toRing,
} from "./ring.js";

const LIMIT = 2n ** 127n;

describe("additive secret sharing over Z/2^128", () => {
  it.each([
    0n,
    1n,
    -1n,
    123_456_789_012n,
    2n ** 100n,
    -LIMIT,
    LIMIT - 1n,
  ])("reconstructs %s from its shares", (value) => {
    for (const parties of [2, 3, 5]) {
      const shares = splitIntoShares(value, parties);
      expect(shares).toHaveLength(parties);
      expect(shares.every(isRingElement)).toBe(true);
      expect(fromRing(addInRing(...shares))).toBe(value);
    }
  });

  it("shares a vector and reconstructs every position, adding share-wise", () => {
    const a = [5n, -7n, 10n ** 30n];
    const b = [1n, 7n, -(10n ** 30n)];
    const sharesA = splitVector(a, 3);
    const sharesB = splitVector(b, 3);
    const partials = sharesA.map((share, i) => addVectors(share, sharesB[i] as bigint[]));
    expect(addVectors(...partials).map(fromRing)).toEqual([6n, 0n, 0n]);
  });

  it("gives fresh, different shares each time for the same value", () => {
    expect(splitIntoShares(42n, 2)[0]).not.toBe(splitIntoShares(42n, 2)[0]);
  });

  it("round-trips vectors through bytes and refuses a wrong length", () => {
    const vector = splitVector([1n, -2n, 3n], 2)[0] as bigint[];
    const bytes = encodeVector(vector);
    expect(bytes).toHaveLength(48);
    expect(decodeVector(bytes, 3)).toEqual(vector);
    expect(() => decodeVector(bytes, 2)).toThrow(/expected 2 ring elements/);
    expect(() => decodeVector(bytes.subarray(1), 3)).toThrow(RangeError);
  });

  it("refuses values outside the signed 128-bit range, vectors of different lengths and fewer than two parties", () => {
    expect(() => toRing(LIMIT)).toThrow(RangeError);
    expect(() => toRing(-LIMIT - 1n)).toThrow(RangeError);
    expect(() => splitIntoShares(1n, 1)).toThrow(RangeError);
    expect(() => addVectors([1n], [1n, 2n])).toThrow(RangeError);
  });
});
