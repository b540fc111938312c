import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AssetRecord,
  createAssetAccountAccumulator,
  DEFAULT_INCOME_APPROACH,
  incomeApproachValueFen,
  revenueByOwner,
} from "./asset-accounts.js";
import { type ScenarioShares, settle } from "./settlement.js";

const DAY_MS = 86_400_000;

function accountsOf(records: AssetRecord[], sharesOf: (scenarioId: string) => ScenarioShares) {
  const accumulator = createAssetAccountAccumulator();
  for (const record of records) accumulator.add(record, sharesOf(record.scenarioId));
  return accumulator.finish();
}

describe("data-asset accounts", () => {
  it("counts each dataset's uses, units, revenue and scenarios, sharing an owner's part between its datasets by units", () => {
    const shares = { platformShareBasisPoints: 3_000, ownerShareBasisPoints: null };
    const accounts = accountsOf(
      [
        {
          recordId: "rec_1",
          scenarioId: "sc_join",
          feeFen: 1_000,
          owners: [
            { ownerId: "owner_tax", datasetId: "ds_tax", contributionUnits: 3 },
            { ownerId: "owner_social", datasetId: "ds_social", contributionUnits: 1 },
          ],
        },
        {
          recordId: "rec_2",
          scenarioId: "sc_psi",
          feeFen: 101,
          owners: [
            { ownerId: "owner_tax", datasetId: "ds_tax", contributionUnits: 1 },
            { ownerId: "owner_tax", datasetId: "ds_tax_2025", contributionUnits: 2 },
          ],
        },
      ],
      () => shares,
    );
    // rec_1: 700 fen to the owners, 3:1 (525, 175). rec_2: 71 fen to owner_tax (the weight of
    // its last part, as settlement takes it), shared 1:2 between its datasets (24, 47).
    expect(accounts).toEqual([
      {
        ownerId: "owner_social",
        datasetId: "ds_social",
        uses: 1,
        contributionUnits: 1,
        revenueFen: 175,
        scenarioIds: ["sc_join"],
      },
      {
        ownerId: "owner_tax",
        datasetId: "ds_tax",
        uses: 2,
        contributionUnits: 4,
        revenueFen: 549,
        scenarioIds: ["sc_join", "sc_psi"],
      },
      {
        ownerId: "owner_tax",
        datasetId: "ds_tax_2025",
        uses: 1,
        contributionUnits: 2,
        revenueFen: 47,
        scenarioIds: ["sc_psi"],
      },
    ]);
  });

  it("adds up, owner by owner, to the settlement statement of the same records, to the fen", () => {
    const owner = fc.constantFrom("owner_a", "owner_b", "owner_c");
    const record = fc.record({
      recordId: fc.uuid(),
      scenarioId: fc.constantFrom("sc_1", "sc_2", "sc_3"),
      feeFen: fc.integer({ min: 0, max: 10_000_000 }),
      owners: fc.array(
        fc.record({
          ownerId: owner,
          datasetId: fc.constantFrom("ds_x", "ds_y", "ds_z"),
          contributionUnits: fc.integer({ min: 0, max: 5_000 }),
        }),
        { maxLength: 4 },
      ),
    });
    const scenarioShares = fc.record({
      platformShareBasisPoints: fc.integer({ min: 0, max: 10_000 }),
      ownerShareBasisPoints: fc.option(
        fc.record({ owner_a: fc.integer({ min: 0, max: 10_000 }), owner_b: fc.integer({ min: 1, max: 10_000 }) }),
        { nil: null },
      ),
    });
    fc.assert(
      fc.property(
        fc.array(record, { maxLength: 30 }),
        fc.array(scenarioShares, { minLength: 3, maxLength: 3 }),
        (records, shareList) => {
          const sharesOf = (id: string) => shareList[Number(id.slice(3)) - 1] as ScenarioShares;
          const accounts = accountsOf(records, sharesOf);
          const statement = settle({ start: "2026-11-01T00:00:00Z", end: "2026-12-01T00:00:00Z" }, records, sharesOf);
          const lines = new Map(statement.lines.filter((l) => l.role === "owner").map((l) => [l.payeeId, l.amountFen]));
          const owed = revenueByOwner(accounts);
          for (const [ownerId, fen] of owed) expect(fen, ownerId).toBe(lines.get(ownerId) ?? 0);
          for (const [ownerId, fen] of lines) expect(owed.get(ownerId) ?? 0, ownerId).toBe(fen);
          for (const a of accounts) {
            const using = records.filter((r) =>
              r.owners.some((o) => o.ownerId === a.ownerId && o.datasetId === a.datasetId),
            );
            expect(a.uses).toBe(using.length);
            expect(a.scenarioIds).toEqual([...new Set(using.map((r) => r.scenarioId))].sort());
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("the income approach's value", () => {
  it("discounts a year's revenue over five years at 8% (the annuity factor 3.99271)", () => {
    expect(incomeApproachValueFen(100_000, 365 * DAY_MS, DEFAULT_INCOME_APPROACH)).toBe(399_271);
    // A 30-day period's revenue is scaled to 365 days first.
    expect(incomeApproachValueFen(30_000, 30 * DAY_MS, DEFAULT_INCOME_APPROACH)).toBe(1_457_339);
    expect(incomeApproachValueFen(100_000, 365 * DAY_MS, { discountRateBasisPoints: 0, years: 3 })).toBe(300_000);
    expect(incomeApproachValueFen(0, 365 * DAY_MS, DEFAULT_INCOME_APPROACH)).toBe(0);
  });

  it("refuses a period that lasts no time", () => {
    expect(() => incomeApproachValueFen(1, 0, DEFAULT_INCOME_APPROACH)).toThrow(/positive time/);
    expect(() => incomeApproachValueFen(1, -5, DEFAULT_INCOME_APPROACH)).toThrow(/positive time/);
  });
});
