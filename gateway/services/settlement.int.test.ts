import { createPrivateKey } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConflictError } from "../../lib/errors.js";
import { type Database, settlementStatements } from "../../store/index.js";
import { testDatabases } from "../../test/support/databases.js";
import { gatewayKeys, seedJob } from "../../test/support/usage-records.js";
import type { GatewayDeps } from "../deps.js";
import { createSettlement } from "./settlement.js";

describe.each(testDatabases())("settling a period once, on $name", ({ open }) => {
  let database: Database;
  let deps: GatewayDeps;
  const authority = { id: "authority", role: "authority" };
  const from = new Date(Date.now() - 60_000);
  beforeAll(async () => {
    database = await open();
    for (let i = 0; i < 3; i++) await seedJob(database, 500);
    deps = {
      db: database.db,
      pingDatabase: database.ping,
      ledger: undefined as unknown as GatewayDeps["ledger"],
      gatewayKeys: { privateKey: createPrivateKey(gatewayKeys.privateKeyPem), publicKey: gatewayKeys.publicKey },
    };
  });
  afterAll(async () => {
    await database?.close();
  });

  it("lets exactly one of many concurrent settlements of overlapping periods commit", async () => {
    const end = new Date();
    const periods = Array.from({ length: 8 }, (_, i) => ({ start: new Date(from.getTime() + i), end }));
    const outcomes = await Promise.allSettled(periods.map((period) => createSettlement(deps, authority, period)));
    const settled = outcomes.filter((o) => o.status === "fulfilled");
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected");
    expect(settled).toHaveLength(1);
    expect(refused).toHaveLength(7);
    for (const r of refused) expect(r.reason).toBeInstanceOf(ConflictError);
    expect(await database.db.select().from(settlementStatements)).toHaveLength(1);
  });

  it("refuses an overlapping period written straight into the database, and takes an adjacent one", async () => {
    const [stored] = await database.db.select().from(settlementStatements);
    const row = { ...(stored as typeof settlementStatements.$inferSelect) };
    const overlapping = { ...row, id: "stl_overlap", periodStart: new Date(row.periodEnd.getTime() - 1) };
    await expect(database.db.insert(settlementStatements).values(overlapping)).rejects.toMatchObject({
      cause: expect.objectContaining({ code: "23P01" }),
    });
    const adjacent = {
      ...row,
      id: "stl_next",
      periodStart: row.periodEnd,
      periodEnd: new Date(row.periodEnd.getTime() + 1_000),
    };
    await database.db.insert(settlementStatements).values(adjacent);
    expect(await database.db.select().from(settlementStatements)).toHaveLength(2);
  });
});
