import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { makeUscc } from "../../lib/uscc.js";
import { blindOwn, blindPeer, newBlindingKey, PsiPointError } from "./blind.js";
import { isSquare, montgomeryRhs, P, toLittleEndian } from "./field.js";
import { IdentifierTotals, normaliseIdentifiers, totalsByIdentifier } from "./identifiers.js";
import { PsiPool } from "./pool.js";

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

  it("raises a point as X25519 does: RFC 7748 §6.1's key agreement, both ways", () => {
    const hex = (text: string) => Buffer.from(text, "hex");
    const alicePrivate = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    const alicePublic = hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    const bobPrivate = hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    const bobPublic = hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    const shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
    expect(blindPeer(bobPublic, alicePrivate).toString("hex")).toBe(shared);
    expect(blindPeer(alicePublic, bobPrivate).toString("hex")).toBe(shared);
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

  it("normalises a slice at a time exactly as in one go, repeats and refusals across slices included", () => {
    const codes = Array.from({ length: 50 }, (_, i) =>
      makeUscc("91", "330100", `MA${String(i % 30).padStart(7, "0")}`),
    );
    codes[7] = "BAD";
    codes[41] = "";
    const amounts = codes.map((_, i) => i);
    const sliced = new IdentifierTotals("uscc", { min: 0, max: 60 });
    for (let from = 0; from < codes.length; from += 7)
      sliced.add(codes, amounts, from, Math.min(codes.length, from + 7));
    expect(sliced.result()).toEqual(totalsByIdentifier(codes, amounts, "uscc", { min: 0, max: 60 }));
    expect(sliced.result().invalid.map((i) => i.index)).toEqual([7, 41]);
    expect(sliced.result().duplicates).toBe(18);
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
