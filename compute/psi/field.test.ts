import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { batchInvert, P, pow, reduce } from "./field.js";

const big = (bytes: Uint8Array) => BigInt(`0x${Buffer.from(bytes).toString("hex") || "0"}`);

describe("GF(2^255 − 19) arithmetic", () => {
  it("reduces by folding exactly as BigInt's remainder does, at the edges and on any 512-bit value", () => {
    const edges = [0n, 1n, P - 1n, P, P + 1n, 2n * P - 1n, 2n * P, (P - 1n) * (P - 1n), (1n << 512n) - 1n];
    for (const x of edges) expect(reduce(x)).toBe(x % P);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (bytes) => reduce(big(bytes)) === big(bytes) % P),
    );
  });

  it("inverts a batch: each value times its inverse is one", () => {
    const values = Array.from({ length: 50 }, () => (big(randomBytes(32)) % (P - 1n)) + 1n);
    batchInvert(values).forEach((inverse, i) => {
      expect(((values[i] as bigint) * inverse) % P).toBe(1n);
    });
  });

  it("raises to a power as repeated multiplication does (Fermat: a^(p−1) = 1)", () => {
    const a = (big(randomBytes(32)) % (P - 1n)) + 1n;
    expect(pow(a, P - 1n)).toBe(1n);
    expect(pow(a, 3n)).toBe((a * a * a) % P);
  });
});
