import { and, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import {
  createAssetAccountAccumulator,
  DEFAULT_INCOME_APPROACH,
  incomeApproachValueFen,
  revenueByOwner,
  type SettlementStatement,
} from "../../ledger/index.js";
import { ForbiddenError, SluiceError } from "../../lib/errors.js";
import { datasets, settlementStatements } from "../../store/index.js";
import type { GatewayDeps } from "../deps.js";
import { settlementPeriodSchema } from "../schemas.js";
import { periodRecordsWithShares } from "./settlement.js";

/** The period as settlement takes it, whose owner, and the income approach's parameters. */
export const assetAccountsQuerySchema = settlementPeriodSchema.extend({
  ownerId: z.string().min(1).optional().describe("only this owner's datasets (the authority and regulators)"),
  discountRateBasisPoints: z.coerce
    .number()
    .int()
    .min(0)
    .max(5_000)
    .default(DEFAULT_INCOME_APPROACH.discountRateBasisPoints)
    .describe("the income approach's yearly discount rate in basis points (default 800: 8%)"),
  years: z.coerce
    .number()
    .int()
    .min(1)
    .max(30)
    .default(DEFAULT_INCOME_APPROACH.years)
    .describe("over how many years the income approach expects the revenue to continue (default 5)"),
});
export type AssetAccountsQuery = z.infer<typeof assetAccountsQuerySchema>;

interface Caller {
  id: string;
  role: string;
}

/**
 * The data-asset accounts of a period: every usage record written in [start, end), as the
 * period's settlement reads them (a record altered since it was written stops the account, as it
 * stops a settlement), per owner's dataset; each owner's total beside its line in any settlement
 * statement of exactly this period. An owner sees its own datasets only.
 */
export async function assetAccounts(deps: GatewayDeps, caller: Caller, query: AssetAccountsQuery) {
  const start = new Date(query.periodStart);
  const end = new Date(query.periodEnd);
  if (!(start < end)) throw new SluiceError("validation_failed", "the period must end after it starts");
  if (caller.role === "owner" && query.ownerId !== undefined && query.ownerId !== caller.id)
    throw new ForbiddenError("an owner sees the accounts of its own datasets only");
  const ownerId = caller.role === "owner" ? caller.id : query.ownerId;
  const accumulator = createAssetAccountAccumulator();
  let recordCount = 0;
  let anchoredCount = 0;
  for await (const page of periodRecordsWithShares(deps, { start, end }, "accounting for it")) {
    for (const { row, record, shares } of page) {
      accumulator.add(record, shares);
      recordCount += 1;
      if (row.batchId) anchoredCount += 1;
    }
  }
  const method = { discountRateBasisPoints: query.discountRateBasisPoints, years: query.years };
  const periodMs = end.getTime() - start.getTime();
  const all = accumulator.finish();
  const mine = all.filter((a) => ownerId === undefined || a.ownerId === ownerId);
  const names = await datasetNames(
    deps,
    mine.map((a) => a.datasetId),
  );
  const statements = await deps.db
    .select({ id: settlementStatements.id, statement: settlementStatements.statement })
    .from(settlementStatements)
    .where(and(eq(settlementStatements.periodStart, start), eq(settlementStatements.periodEnd, end)));
  const owners = [...revenueByOwner(mine)].map(([id, revenueFen]) => ({
    ownerId: id,
    revenueFen,
    valueEstimateFen: incomeApproachValueFen(revenueFen, periodMs, method),
    settlements: statements.map((s) => {
      const line = (s.statement as unknown as SettlementStatement).lines.find((l) => l.payeeId === id);
      const amountFen = line?.amountFen ?? 0;
      return { statementId: s.id, amountFen, matches: amountFen === revenueFen };
    }),
  }));
  return {
    periodStart: start.toISOString(),
    periodEnd: end.toISOString(),
    recordCount,
    anchoredCount,
    method: {
      name: "income approach" as const,
      ...method,
      description: `The period's revenue scaled to a 365-day year, taken as a yearly income for ${method.years} years and discounted at ${method.discountRateBasisPoints / 100}% a year: V = R × Σ_{t=1..${method.years}} (1 + r)^−t, in fen rounded half up. Revenue is each usage record's fee split as the period's settlement splits it (ledger/settlement.ts), an owner's part of a record shared between its datasets by their contribution units.`,
    },
    accounts: mine.map((a) => ({
      ...a,
      datasetName: names.get(a.datasetId) ?? null,
      valueEstimateFen: incomeApproachValueFen(a.revenueFen, periodMs, method),
    })),
    owners,
  };
}

async function datasetNames(deps: GatewayDeps, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await deps.db
    .select({ id: datasets.id, name: datasets.name })
    .from(datasets)
    .where(inArray(datasets.id, [...new Set(ids)]));
  return new Map(rows.map((r) => [r.id, r.name]));
}
