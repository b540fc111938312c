import { createPrivateKey } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConflictError, ForbiddenError, SluiceError } from "../../lib/errors.js";
import { type Database, usageRecords } from "../../store/index.js";
import { testDatabases } from "../../test/support/databases.js";
import { gatewayKeys, seedJob } from "../../test/support/usage-records.js";
import type { GatewayDeps } from "../deps.js";
import { assetAccounts, assetAccountsQuerySchema } from "./asset-accounts.js";
import { createSettlement } from "./settlement.js";

describe.each(testDatabases())("data-asset accounts of a period, on $name", ({ open }) => {
  let database: Database;
  let deps: GatewayDeps;
  const authority = { id: "authority", role: "authority" };
  const start = new Date(Date.now() - 60_000);
  let end: Date;
  let statementId: string;
  const query = (extra: Record<string, string> = {}) =>
    assetAccountsQuerySchema.parse({ periodStart: start.toISOString(), periodEnd: end.toISOString(), ...extra });

  beforeAll(async () => {
    database = await open();
    // The seeded scenario gives the platform 10%; the rest is shared by contribution units.
    await seedJob(database, 1_000, [
      { ownerId: "tax", datasetId: "ds_tax", contributionUnits: 3 },
      { ownerId: "social", datasetId: "ds_social", contributionUnits: 1 },
    ]);
    await seedJob(database, 333, [{ ownerId: "tax", datasetId: "ds_tax", contributionUnits: 7 }]);
    await seedJob(database, 50, [
      { ownerId: "tax", datasetId: "ds_tax_2025", contributionUnits: 1 },
      { ownerId: "social", datasetId: "ds_social", contributionUnits: 0 },
    ]);
    end = new Date(Date.now() + 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    deps = {
      db: database.db,
      pingDatabase: database.ping,
      ledger: undefined as unknown as GatewayDeps["ledger"],
      gatewayKeys: { privateKey: createPrivateKey(gatewayKeys.privateKeyPem), publicKey: gatewayKeys.publicKey },
    };
    statementId = (await createSettlement(deps, authority, { start, end })).id;
  });
  afterAll(async () => {
    await database?.close();
  });

  it("counts each dataset's uses, units, revenue and scenarios, and each owner's total equals its settlement line", async () => {
    const report = await assetAccounts(deps, authority, query());
    expect(report.recordCount).toBe(3);
    expect(report.anchoredCount).toBe(0);
    expect(report.accounts.map(({ valueEstimateFen: _, ...a }) => a)).toEqual([
      // 1,000 fen: 900 to the owners 3:1; 333 fen: 300 to tax; 50 fen: 45 to tax alone (social gave no units).
      {
        ownerId: "social",
        datasetId: "ds_social",
        datasetName: null,
        uses: 2,
        contributionUnits: 1,
        revenueFen: 225,
        scenarioIds: ["sc"],
      },
      {
        ownerId: "tax",
        datasetId: "ds_tax",
        datasetName: null,
        uses: 2,
        contributionUnits: 10,
        revenueFen: 975,
        scenarioIds: ["sc"],
      },
      {
        ownerId: "tax",
        datasetId: "ds_tax_2025",
        datasetName: null,
        uses: 1,
        contributionUnits: 1,
        revenueFen: 45,
        scenarioIds: ["sc"],
      },
    ]);
    expect(report.owners).toEqual([
      expect.objectContaining({
        ownerId: "social",
        revenueFen: 225,
        settlements: [{ statementId, amountFen: 225, matches: true }],
      }),
      expect.objectContaining({
        ownerId: "tax",
        revenueFen: 1_020,
        settlements: [{ statementId, amountFen: 1_020, matches: true }],
      }),
    ]);
    expect(report.method).toMatchObject({ name: "income approach", discountRateBasisPoints: 800, years: 5 });
    // A one-minute period's revenue, scaled to a year, is worth far more than the minute's revenue.
    expect(report.owners[1]?.valueEstimateFen).toBeGreaterThan(1_020 * 60 * 24 * 365);
  });

  it("shows an owner its own datasets only, and refuses it another owner's", async () => {
    const owner = { id: "social", role: "owner" };
    const report = await assetAccounts(deps, owner, query());
    expect(report.accounts.map((a) => a.datasetId)).toEqual(["ds_social"]);
    expect(report.owners.map((o) => o.ownerId)).toEqual(["social"]);
    await expect(assetAccounts(deps, owner, query({ ownerId: "tax" }))).rejects.toBeInstanceOf(ForbiddenError);
    const regulator = await assetAccounts(deps, { id: "reg", role: "regulator" }, query({ ownerId: "tax" }));
    expect(regulator.accounts.map((a) => a.datasetId)).toEqual(["ds_tax", "ds_tax_2025"]);
  });

  it("refuses a period that ends before it starts, and parameters out of range", async () => {
    await expect(
      assetAccounts(deps, authority, query({ periodStart: end.toISOString(), periodEnd: start.toISOString() })),
    ).rejects.toBeInstanceOf(SluiceError);
    for (const bad of [
      { years: "0" },
      { years: "31" },
      { discountRateBasisPoints: "-1" },
      { periodStart: "yesterday" },
    ]) {
      expect(
        assetAccountsQuerySchema.safeParse({ periodStart: start.toISOString(), periodEnd: end.toISOString(), ...bad })
          .success,
        JSON.stringify(bad),
      ).toBe(false);
    }
    expect(
      assetAccountsQuerySchema.safeParse({ periodStart: start.toISOString(), periodEnd: end.toISOString(), other: "x" })
        .success,
    ).toBe(false);
  });

  it("stops at a record altered since it was written, naming it", async () => {
    const [row] = await database.db.select().from(usageRecords).limit(1);
    const altered = row as typeof usageRecords.$inferSelect;
    await database.db
      .update(usageRecords)
      .set({ record: { ...altered.record, feeFen: 1 } })
      .where(eq(usageRecords.id, altered.id));
    await expect(assetAccounts(deps, authority, query())).rejects.toThrow(ConflictError);
    await expect(assetAccounts(deps, authority, query())).rejects.toThrow(new RegExp(altered.id));
  });
});
