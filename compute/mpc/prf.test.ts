import { createCipheriv, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { prfBytes, prfFill, prfRowBytes, prfStreamBytes, prfStreamRows } from "./prf.js";

const block = (seed: Buffer, counter: number) => {
  const input = Buffer.alloc(16);
  input.writeBigUInt64BE(BigInt(counter), 8);
  return createCipheriv("aes-256-ecb", seed, null).setAutoPadding(false).update(input);
};

describe("the PRF: AES-256 of the block's counter", () => {
  // FIPS-197 Appendix C.3: AES-256 of 00112233…ff under the key 00010203…1f.
  it("is AES-256 as FIPS-197 gives it", () => {
    const key = Buffer.from("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "hex");
    const cipher = createCipheriv("aes-256-ecb", key, null).setAutoPadding(false);
    expect(cipher.update(Buffer.from("00112233445566778899aabbccddeeff", "hex")).toString("hex")).toBe(
      "8ea2b7ca516745bfeafc49904b496089",
    );
    expect(prfBytes(key, 3, 2)).toEqual(Buffer.concat([block(key, 3), block(key, 4)]));
  });

  it("reads the same keystream by blocks, by bytes from anywhere and by rows of any length", () => {
    const seed = randomBytes(32);
    const stream = prfBytes(seed, 0, 40);
    expect(prfStreamBytes(seed, 0, 640)).toEqual(stream);
    expect(prfStreamBytes(seed, 13, 100)).toEqual(stream.subarray(13, 113));
    for (const rowBytes of [8, 16, 24, 40, 48]) {
      const rows = [3, 0, 7, 7, 1];
      expect(prfStreamRows(seed, rows, rowBytes)).toEqual(
        Buffer.concat(rows.map((r) => stream.subarray(r * rowBytes, (r + 1) * rowBytes))),
      );
    }
    // Filled in place from any block, the last one cut short, across the fill's mebibyte chunks.
    const filled = new Uint8Array(40);
    prfFill(seed, 2, filled);
    expect(Buffer.from(filled)).toEqual(stream.subarray(32, 72));
    const long = new Uint8Array((1 << 20) + 24);
    prfFill(seed, 0, long);
    expect(Buffer.from(long.subarray((1 << 20) - 8))).toEqual(prfStreamBytes(seed, (1 << 20) - 8, 32));
    expect(prfRowBytes(seed, [2, 0], 3)).toEqual(Buffer.concat([stream.subarray(96, 144), stream.subarray(0, 48)]));
  });

  it("refuses a seed of the wrong size and a row of no bytes", () => {
    expect(() => prfBytes(randomBytes(16), 0, 1)).toThrow(/32 bytes/);
    expect(() => prfStreamRows(randomBytes(32), [0], 0)).toThrow(/whole number of bytes/);
  });
});
