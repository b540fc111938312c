import { describe, expect, it } from "vitest";
import { bitAt, decodeBitmap, encodeBitmap } from "./helper-protocol.js";

describe("bitmaps over positions", () => {
  it("round-trips, least significant bit first", () => {
    const bits = Array.from({ length: 19 }, (_, i) => i % 3 === 0 || i === 18);
    const encoded = encodeBitmap(bits);
    expect(encoded).toHaveLength(3);
    expect(encoded[0]).toBe(0b0100_1001);
    const decoded = decodeBitmap(Buffer.from(encoded).toString("base64"), 19);
    expect(bits.map((_, i) => bitAt(decoded, i))).toEqual(bits);
  });

  it("refuses a bitmap of the wrong length and one marking positions past the last", () => {
    expect(() => decodeBitmap(Buffer.alloc(2).toString("base64"), 19)).toThrow(/3 bytes, not 2/);
    expect(() => decodeBitmap(Buffer.from([0, 0, 0b1000]).toString("base64"), 19)).toThrow(/past the last/);
    expect(decodeBitmap("", 0)).toHaveLength(0);
  });
});
