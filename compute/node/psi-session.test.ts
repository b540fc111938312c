import { describe, expect, it } from "vitest";
import { shuffleEntities } from "./psi-session.js";

describe("the owner's entities, shuffled once a session", () => {
  it("are permuted, each keeping its own total", () => {
    const identifiers = Array.from({ length: 2_000 }, (_, i) => `E${i}`);
    const totals = identifiers.map((_, i) => BigInt(i * 3));
    shuffleEntities(identifiers, totals);
    expect(identifiers).not.toEqual(Array.from({ length: 2_000 }, (_, i) => `E${i}`));
    expect([...identifiers].sort()).toEqual(Array.from({ length: 2_000 }, (_, i) => `E${i}`).sort());
    identifiers.forEach((id, i) => {
      expect(totals[i]).toBe(BigInt(Number(id.slice(1)) * 3));
    });
  });

  it("leave no trace of the input order: each entity lands first about equally often", () => {
    const first = new Map<string, number>();
    for (let run = 0; run < 3_000; run++) {
      const identifiers = ["A", "B", "C"];
      shuffleEntities(identifiers);
      first.set(identifiers[0] as string, (first.get(identifiers[0] as string) ?? 0) + 1);
    }
    // 1,000 expected each; 6 standard deviations (√(3000·⅓·⅔) ≈ 26) bound a fair shuffle.
    for (const id of ["A", "B", "C"]) expect(Math.abs((first.get(id) ?? 0) - 1_000)).toBeLessThan(160);
  });
});
