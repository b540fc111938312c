import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalHash } from "../lib/canonical-json.js";
import { lineProof, PLATFORM, type ScenarioShares, settle, splitFee, verifyLine } from "./settlement.js";

const byUnits = (platformShareBasisPoints: number): ScenarioShares => ({
  platformShareBasisPoints,
  ownerShareBasisPoints: null,
});
const record = (feeFen: number, owners: [string, number][], recordId = "rec_1") => ({
  recordId,
  scenarioId: "sc",
  feeFen,
  owners: owners.map(([ownerId, contributionUnits]) => ({ ownerId, contributionUnits })),
});
const asObject = (m: Map<string, number>) => Object.fromEntries(m);

describe("revenue sharing in integer fen", () => {
  it("splits a round fee by the platform's share and the owners' contribution units", () => {
    expect(
      asObject(
        splitFee(
          record(1_000, [
            ["tax", 1],
            ["social", 3],
          ]),
          byUnits(1_000),
        ),
      ),
    ).toEqual({
      [PLATFORM]: 100,
      tax: 225,
      social: 675,
    });
  });

  it("gives the fen left over to the largest fractional parts: 10 fen at 33.33% and three equal owners", () => {
    // Exact: platform 3.333, each owner 2.2223; floors 3 + 2 + 2 + 2 = 9; the tenth fen goes to the platform.
    expect(
      asObject(
        splitFee(
          record(10, [
            ["a", 1],
            ["b", 1],
            ["c", 1],
          ]),
          byUnits(3_333),
        ),
      ),
    ).toEqual({
      [PLATFORM]: 4,
      a: 2,
      b: 2,
      c: 2,
    });
  });

  it("breaks an exact tie by the payee id that sorts first, every time", () => {
    for (let i = 0; i < 5; i++) {
      expect(
        asObject(
          splitFee(
            record(1, [
              ["owner_b", 1],
              ["owner_a", 1],
            ]),
            byUnits(0),
          ),
        ),
      ).toEqual({
        [PLATFORM]: 0,
        owner_a: 1,
      });
    }
  });

  it("pays an owner with no contribution units nothing, and splits equally when no owner contributed", () => {
    expect(
      asObject(
        splitFee(
          record(900, [
            ["a", 0],
            ["b", 2],
          ]),
          byUnits(0),
        ),
      ),
    ).toEqual({ [PLATFORM]: 0, b: 900 });
    expect(
      asObject(
        splitFee(
          record(900, [
            ["a", 0],
            ["b", 0],
          ]),
          byUnits(0),
        ),
      ),
    ).toEqual({ [PLATFORM]: 0, a: 450, b: 450 });
  });

  it("applies the scenario's agreed ratios, weighted by units", () => {
    const agreed: ScenarioShares = { platformShareBasisPoints: 1_000, ownerShareBasisPoints: { a: 6_000, b: 3_000 } };
    expect(
      asObject(
        splitFee(
          record(9_000, [
            ["a", 1],
            ["b", 1],
          ]),
          agreed,
        ),
      ),
    ).toEqual({ [PLATFORM]: 900, a: 5_400, b: 2_700 });
  });

  it("adds up exactly, and gives each payee its exact share to within one fen, for any fee and up to a hundred owners", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.array(fc.integer({ min: 0, max: 1_000 }), { minLength: 1, maxLength: 100 }),
        (fee, platformBp, units) => {
          const owners = units.map((u, i): [string, number] => [`owner_${String(i).padStart(3, "0")}`, u]);
          const split = splitFee(record(fee, owners), byUnits(platformBp));
          const sum = [...split.values()].reduce((a, b) => a + b, 0);
          const total = units.reduce((a, b) => a + b, 0);
          const weights = total === 0 ? units.map(() => 1) : units;
          const weightSum = weights.reduce((a, b) => a + b, 0);
          const exactPlatform = (fee * platformBp) / 10_000;
          const within = (paid: number, exact: number) => Math.abs(paid - exact) < 1 + 1e-6;
          return (
            sum === fee &&
            within(split.get(PLATFORM) ?? 0, exactPlatform) &&
            owners.every(([id], i) =>
              within(split.get(id) ?? 0, ((fee - exactPlatform) * (weights[i] as number)) / weightSum),
            )
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it("states a period: lines add up to the fees, and each owner proves its line against the root", () => {
    const records = Array.from({ length: 50 }, (_, i) =>
      record(
        1_000 + i * 7,
        [
          ["tax", 1 + (i % 3)],
          ["social", i % 2],
        ],
        `rec_${i}`,
      ),
    );
    const statement = settle({ start: "2026-11-01T00:00:00Z", end: "2026-12-01T00:00:00Z" }, records, () =>
      byUnits(1_500),
    );
    expect(statement.recordCount).toBe(50);
    expect(statement.lines.reduce((sum, l) => sum + l.amountFen, 0)).toBe(statement.feeTotalFen);
    expect(statement.lines.map((l) => l.payeeId)).toEqual([PLATFORM, "social", "tax"]);
    for (const line of statement.lines) {
      expect(verifyLine(statement.root, line, lineProof(statement, line.payeeId))).toBe(true);
      // A line claiming one fen more does not verify.
      expect(
        verifyLine(statement.root, { ...line, amountFen: line.amountFen + 1 }, lineProof(statement, line.payeeId)),
      ).toBe(false);
    }
    // The same records give the same statement; one record fewer gives another.
    const again = settle({ start: "2026-11-01T00:00:00Z", end: "2026-12-01T00:00:00Z" }, [...records], () =>
      byUnits(1_500),
    );
    expect(again).toEqual(statement);
    const fewer = settle({ start: "2026-11-01T00:00:00Z", end: "2026-12-01T00:00:00Z" }, records.slice(1), () =>
      byUnits(1_500),
    );
    expect(fewer.recordsHash).not.toBe(statement.recordsHash);
    expect(fewer.root).not.toBe(statement.root);
  });

  it("refuses a fee that is not a whole number of fen", () => {
    expect(() => splitFee(record(1.5, [["a", 1]]), byUnits(0))).toThrow(/integer of fen/);
  });

  it("hashes the record ids streamed exactly as the RFC 8785 form of the whole list", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "grapheme", maxLength: 12 }), { maxLength: 20 }), (ids) => {
        const statement = settle(
          { start: "2026-01-01T00:00:00.000Z", end: "2026-02-01T00:00:00.000Z" },
          ids.map((id) => record(7, [["a", 1]], id)),
          () => byUnits(1000),
        );
        expect(statement.recordsHash).toBe(canonicalHash(ids));
      }),
    );
  });
});
