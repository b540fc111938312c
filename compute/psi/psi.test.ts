import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { makeUscc } from "../../lib/uscc.js";
import { blindOwn, blindPeer, newBlindingKey, PsiPointError } from "./blind.js";
import { isSquare, montgomeryRhs, P, toLittleEndian } from "./field.js";
import { normaliseIdentifiers, totalsByIdentifier } from "./identifiers.js";
import { PsiPool } from "./pool.js";
import { runPsi } from "./psi-ca.js";
import { shuffleRows } from "./shuffle.js";

const ids = (prefix: string, count: number, offset = 0) =>
  Array.from({ length: count }, (_, i) => `${prefix}${String(i + offset).padStart(8, "0")}`);

function point(u: bigint): Buffer {
  const out = Buffer.alloc(32);
  toLittleEndian(u, out);
  return out;
}

describe("ECDH private set intersection on curve25519's prime-order group", () => {
  const pool = new PsiPool(2);
  afterAll(async () => {
    await pool.close();
  });

  it("counts exactly the intersection of random sets with a known overlap, across chunk boundaries", async () => {
    const shared = ids("S", 1_234);
    const operator = [...ids("A", 1_766), ...shared].sort(() => Math.random() - 0.5);
    const owner = [...shared, ...ids("B", 3_000)].sort(() => Math.random() - 0.5);
    expect(await runPsi(operator, owner, "size", pool, 1_000)).toEqual({ size: 1_234 });
  }, 60_000);

  it("marks each of the operator's ids in or out when membership is asked", async () => {
    const operator = ["X1", "SHARED1", "X2", "SHARED2"];
    const result = await runPsi(operator, ["SHARED2", "Y", "SHARED1"], "membership", pool);
    expect(result).toEqual({ size: 2, membership: [false, true, false, true] });
  });

  it("handles empty sets and disjoint sets", async () => {
    expect(await runPsi([], ["A"], "size", pool)).toEqual({ size: 0 });
    expect(await runPsi(["A"], [], "size", pool)).toEqual({ size: 0 });
    expect(await runPsi(["A", "B"], ["C"], "size", pool)).toEqual({ size: 0 });
  });

  it("uses fresh exponents: the same identifiers blind to unrelated points in each job", () => {
    const [a, b] = [blindOwn(["X"], newBlindingKey()), blindOwn(["X"], newBlindingKey())];
    expect(a.equals(b)).toBe(false);
  });

  it("normalises codes before hashing, reports the invalid, and counts duplicates once", () => {
    const valid = makeUscc("91", "330100", "MA2AB3C4D");
    const wrongCheck = valid.slice(0, 17) + (valid.endsWith("0") ? "1" : "0");
    const result = normaliseIdentifiers([` ${valid.toLowerCase()} `, valid, wrongCheck, ""], "uscc");
    expect(result.identifiers).toEqual([valid]);
    expect(result.duplicates).toBe(1);
    expect(result.invalid.map((i) => i.index)).toEqual([2, 3]);
  });

  it("totals a column per entity before clamping, so one entity moves a sum by at most the bound", () => {
    const valid = makeUscc("91", "330100", "MA2AB3C4D");
    const other = makeUscc("91", "330100", "MA2AB3C5B");
    const result = totalsByIdentifier([valid, other, valid.toLowerCase(), "BAD"], [60, -30, 70, 5], "uscc", {
      min: -20,
      max: 100,
    });
    expect(result.identifiers).toEqual([valid, other]);
    expect(result.totals).toEqual([100n, -20n]);
    expect(result.invalid.map((i) => i.index)).toEqual([3]);
    expect(result.duplicates).toBe(1);
  });

  it("shuffles aligned columns with one permutation", () => {
    const count = 500;
    const points = Buffer.alloc(count * 32);
    const shares = Buffer.alloc(count * 16);
    for (let i = 0; i < count; i++) {
      points.writeUInt32LE(i, i * 32);
      shares.writeUInt32LE(i * 7, i * 16);
    }
    shuffleRows([
      { bytes: points, width: 32 },
      { bytes: shares, width: 16 },
    ]);
    const order = Array.from({ length: count }, (_, i) => points.readUInt32LE(i * 32));
    expect(order).not.toEqual([...order].sort((a, b) => a - b));
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i));
    order.forEach((original, i) => {
      expect(shares.readUInt32LE(i * 16)).toBe(original * 7);
    });
    expect(() =>
      shuffleRows([
        { bytes: points, width: 32 },
        { bytes: Buffer.alloc(8), width: 16 },
      ]),
    ).toThrow(/aligned/);
  });

  describe("refuses malformed points from the peer, naming the point", () => {
    const key = newBlindingKey();
    const good = blindOwn(["A", "B"], newBlindingKey());
    let twist = 2n;
    while (isSquare(montgomeryRhs(twist))) twist++;
    it.each([
      ["a wrong length", Buffer.concat([good, Buffer.alloc(5)]), /not a multiple of 32/],
      ["a point on the twist, not the curve", Buffer.concat([good, point(twist)]), /point 2 is not on curve25519/],
      ["the identity's neighbour of order 2 (u = 0)", Buffer.concat([good, point(0n)]), /point 2 is of small order/],
      ["a non-canonical u (≥ p)", Buffer.concat([good, point(P + 1n)]), /point 2 is not a canonical/],
      ["a u with the top bit set", Buffer.concat([good, point(2n ** 255n + 9n)]), /point 2 is not a canonical/],
    ])("%s", (_name, points, reason) => {
      expect(() => blindPeer(points, key)).toThrow(PsiPointError);
      expect(() => blindPeer(points, key)).toThrow(reason);
    });

    it("in a worker too, with the error's type", async () => {
      await expect(pool.blindPeer(point(0n), key)).rejects.toMatchObject({ code: "psi_point_invalid" });
      // And the pool goes on working.
      expect((await pool.blindPeer(good, key)).length).toBe(64);
    });

    it("accepts random valid points only: random bytes are refused about half the time (the twist)", () => {
      let refused = 0;
      for (let i = 0; i < 200; i++) {
        const bytes = randomBytes(32);
        bytes[31] = (bytes[31] as number) & 0x7f;
        try {
          blindPeer(bytes, key);
        } catch {
          refused++;
        }
      }
      expect(refused).toBeGreaterThan(50);
      expect(refused).toBeLessThan(150);
    });
  });
});
