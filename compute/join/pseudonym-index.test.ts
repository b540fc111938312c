import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { PseudonymIndex } from "./pseudonym-index.js";

describe("the helper's index of a party's pseudonyms", () => {
  const key = randomBytes(16);

  it("finds another party's pseudonyms at their positions, and misses the others", () => {
    const mine = randomBytes(16 * 1000);
    const theirs = Buffer.concat([mine.subarray(16 * 10, 16 * 20), randomBytes(16 * 5)]);
    const index = new PseudonymIndex(mine, 1000, "owner 0", key);
    const other = new PseudonymIndex(theirs, 15, "owner 1", key);
    const found = Array.from({ length: 15 }, (_, i) => index.positionOf(other.words, i));
    expect(found).toEqual([...Array.from({ length: 10 }, (_, i) => 10 + i), -1, -1, -1, -1, -1]);
    // Under another job's key nothing lines up.
    const stranger = new PseudonymIndex(theirs, 15, "owner 1", randomBytes(16));
    expect(Array.from({ length: 15 }, (_, i) => index.positionOf(stranger.words, i)).filter((p) => p >= 0)).toEqual([]);
  });

  it("refuses a pseudonym sent twice and bytes that are not whole pseudonyms", () => {
    const twice = Buffer.concat([randomBytes(16 * 3), Buffer.alloc(16, 7), randomBytes(16), Buffer.alloc(16, 7)]);
    expect(() => new PseudonymIndex(twice, 6, "owner 1", key)).toThrow(/owner 1 sent the same key twice/);
    expect(() => new PseudonymIndex(randomBytes(40), 3, "the operator", key)).toThrow(
      /the operator sent 40 bytes of pseudonyms for 3 keys/,
    );
  });

  it("keeps crafted pseudonyms that share their first bytes apart (slots come from the helper's permutation)", () => {
    const crafted = Buffer.alloc(16 * 5000);
    for (let i = 0; i < 5000; i++) crafted.writeUInt32BE(i, i * 16 + 12);
    const index = new PseudonymIndex(crafted, 5000, "owner 0", key);
    expect(Array.from({ length: 5000 }, (_, i) => index.positionOf(index.words, i))).toEqual(
      Array.from({ length: 5000 }, (_, i) => i),
    );
  });
});
