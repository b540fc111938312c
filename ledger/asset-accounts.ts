import { apportion, PLATFORM, type ScenarioShares, splitFee } from "./settlement.js";

// Data-asset accounts: for each owner's dataset, over a period, how often it was used, the
// contribution units it gave, the revenue it earned and the scenarios it served, from the same
// usage records and the same fee split (`splitFee`) as the period's settlement statement, so that
// an owner's datasets add up to its statement line to the fen. An owner's part of a record that
// used two of its datasets is shared between them by their contribution units (equally when none
// gave any), the fen left over going by largest remainder, ties to the dataset id sorting first.

export interface AssetRecord {
  recordId: string;
  scenarioId: string;
  feeFen: number;
  owners: { ownerId: string; datasetId: string; contributionUnits: number }[];
}

export interface DatasetAccount {
  ownerId: string;
  datasetId: string;
  /** Usage records that used the dataset. */
  uses: number;
  contributionUnits: number;
  /** The owner's revenue from those records that falls to this dataset, in fen. */
  revenueFen: number;
  /** The scenarios those records ran under, sorted. */
  scenarioIds: string[];
}

/** Shares `fen` between parts by weight in integer fen (largest remainder), equally when no part weighs anything. */
function shareByWeight(fen: number, parts: { id: string; weight: number }[]): Map<string, number> {
  const weighted = parts.some((p) => p.weight > 0) ? parts : parts.map((p) => ({ ...p, weight: 1 }));
  const total = BigInt(weighted.reduce((sum, p) => sum + p.weight, 0));
  const shares = weighted.map((p) => ({ id: p.id, numerator: BigInt(fen) * BigInt(p.weight) }));
  return new Map(apportion(BigInt(fen), shares, total).map((a) => [a.id, Number(a.fen)]));
}

/** Accounts built one record at a time, in memory bounded by the datasets used. */
export function createAssetAccountAccumulator() {
  const accounts = new Map<string, DatasetAccount & { scenarios: Set<string> }>();
  return {
    add(record: AssetRecord, shares: ScenarioShares) {
      const split = splitFee(record, shares);
      const byOwner = new Map<string, AssetRecord["owners"]>();
      for (const part of record.owners) {
        const parts = byOwner.get(part.ownerId);
        if (parts) parts.push(part);
        else byOwner.set(part.ownerId, [part]);
      }
      for (const [ownerId, parts] of byOwner) {
        const datasets = new Map<string, number>();
        for (const p of parts) datasets.set(p.datasetId, (datasets.get(p.datasetId) ?? 0) + p.contributionUnits);
        const revenue = shareByWeight(
          split.get(ownerId) ?? 0,
          [...datasets].map(([id, weight]) => ({ id, weight })),
        );
        for (const [datasetId, units] of datasets) {
          const key = JSON.stringify([ownerId, datasetId]);
          const account = accounts.get(key) ?? {
            ownerId,
            datasetId,
            uses: 0,
            contributionUnits: 0,
            revenueFen: 0,
            scenarioIds: [],
            scenarios: new Set<string>(),
          };
          account.uses += 1;
          account.contributionUnits += units;
          account.revenueFen += revenue.get(datasetId) ?? 0;
          account.scenarios.add(record.scenarioId);
          accounts.set(key, account);
        }
      }
    },
    /** The accounts, by owner then dataset. */
    finish(): DatasetAccount[] {
      return [...accounts.values()]
        .map(({ scenarios, ...account }) => ({ ...account, scenarioIds: [...scenarios].sort() }))
        .sort((a, b) =>
          a.ownerId === b.ownerId ? (a.datasetId < b.datasetId ? -1 : 1) : a.ownerId < b.ownerId ? -1 : 1,
        );
    },
  };
}

/** Each owner's revenue over its datasets' accounts: what its settlement line for the same records says. */
export function revenueByOwner(accounts: readonly DatasetAccount[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const a of accounts) totals.set(a.ownerId, (totals.get(a.ownerId) ?? 0) + a.revenueFen);
  totals.delete(PLATFORM);
  return totals;
}

export interface IncomeApproach {
  /** The yearly discount rate, in basis points (800: 8%). */
  discountRateBasisPoints: number;
  /** Over how many years the revenue is expected to continue. */
  years: number;
}

export const DEFAULT_INCOME_APPROACH: IncomeApproach = { discountRateBasisPoints: 800, years: 5 };

const YEAR_MS = 365n * 24n * 3_600_000n;

/**
 * A usage-based value by the income approach: the period's revenue scaled to a 365-day year, as
 * a yearly income for `years` years discounted at the rate, V = R × Σ_{t=1..n} (1 + r)^−t, in fen
 * rounded half up, computed exactly in integers.
 */
export function incomeApproachValueFen(revenueFen: number, periodMs: number, method: IncomeApproach): number {
  if (!Number.isSafeInteger(periodMs) || periodMs <= 0) throw new RangeError("the period must last a positive time");
  const base = 10_000n;
  const growth = base + BigInt(method.discountRateBasisPoints);
  const n = method.years;
  // Σ_{t=1..n} base^t / growth^t = Σ base^t · growth^(n−t) / growth^n
  let annuity = 0n;
  for (let t = 1; t <= n; t++) annuity += base ** BigInt(t) * growth ** BigInt(n - t);
  const numerator = BigInt(revenueFen) * YEAR_MS * annuity;
  const denominator = BigInt(periodMs) * growth ** BigInt(n);
  return Number((2n * numerator + denominator) / (2n * denominator));
}
