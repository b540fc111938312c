import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalHash } from "../lib/canonical-json.js";
import { type Database, usageRecords } from "../store/index.js";
import { testDatabases } from "../test/support/databases.js";
import { gatewayKeys, seedJob } from "../test/support/usage-records.js";
import { anchorPending } from "./anchor.js";
import { type AuditDeps, auditPeriod } from "./audit.js";
import { createLedgerClient, type LedgerClient } from "./client.js";
import { ensureUsageLedger } from "./deployments.js";
import { EMBEDDED_CHAIN_PRIVATE_KEY, type EmbeddedChain, startEmbeddedChain } from "./embedded-chain.js";
import { LedgerPool } from "./ledger-pool.js";

describe("the streamed audit reads any period a page at a time and finds the same", () => {
  let dataDir: string;
  let chain: EmbeddedChain;
  let database: Database;
  let ledger: LedgerClient;
  let pool: LedgerPool;
  const period = { start: new Date(Date.now() - 60_000), end: new Date(Date.now() + 3_600_000) };
  const ids: string[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "sluice-chain-"));
    chain = await startEmbeddedChain({ dataDir });
    database = await testDatabases()[0]!.open();
    const address = await ensureUsageLedger(database.db, chain.provider, EMBEDDED_CHAIN_PRIVATE_KEY);
    ledger = createLedgerClient({
      provider: chain.provider,
      privateKey: EMBEDDED_CHAIN_PRIVATE_KEY,
      usageLedgerAddress: address,
    });
    pool = new LedgerPool(2);
    for (let i = 0; i < 9; i++) ids.push((await seedJob(database, 100 + i)).record.recordId);
    await anchorPending({ db: database.db, gatewayPublicKey: gatewayKeys.publicKey, ledger, maxBatchSize: 4 });
    await anchorPending({ db: database.db, gatewayPublicKey: gatewayKeys.publicKey, ledger, maxBatchSize: 4 });
    // The ninth record stays unanchored.
  });
  afterAll(async () => {
    await pool?.close();
    await chain?.stop();
    await database?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const audit = (pageSize: number) => {
    const deps: AuditDeps = {
      db: database.db,
      ledger,
      gatewayPublicKey: gatewayKeys.publicKey,
      sharesOf: async () => new Map(),
      pool,
      pageSize,
    };
    return auditPeriod(deps, period, new Date(0));
  };

  it("counts every record, batch and decision, whatever the page size", async () => {
    for (const pageSize of [1, 2, 3, 5_000]) {
      const report = await audit(pageSize);
      // The seeded records share a placeholder decision, which replays but does not reproduce.
      expect(report).toMatchObject({ records: 9, batches: 2, decisionsReplayed: 9 });
      expect(report.findings.map((f) => f.kind).sort()).toEqual([
        ...Array(9).fill("decision_not_reproduced"),
        "record_unanchored",
      ]);
    }
  });

  it("names an altered, a forged and a deleted record across page boundaries", async () => {
    const [altered, forged, deleted] = [ids[1], ids[4], ids[6]] as [string, string, string];
    const row = async (id: string) =>
      (await database.db.select().from(usageRecords).where(eq(usageRecords.id, id)))[0]!;
    const a = await row(altered);
    await database.db
      .update(usageRecords)
      .set({ record: { ...a.record, feeFen: 1 } })
      .where(eq(usageRecords.id, altered));
    const f = await row(forged);
    const content = { ...f.record, feeFen: 2 };
    await database.db
      .update(usageRecords)
      .set({ record: content, recordHash: canonicalHash(content) })
      .where(eq(usageRecords.id, forged));
    const d = await row(deleted);
    await database.db.delete(usageRecords).where(eq(usageRecords.id, deleted));

    const named = (report: Awaited<ReturnType<typeof audit>>) =>
      report.findings
        .filter((x) => x.kind.startsWith("record_") && x.kind !== "record_unanchored")
        .map((x) => `${x.kind}:${x.recordId ?? `${x.batchId}#${x.leafIndex}`}`)
        .sort();
    const expected = [
      `record_altered:${altered}`,
      `record_deleted:${d.batchId}#${d.leafIndex}`,
      `record_forged:${forged}`,
    ].sort();
    for (const pageSize of [1, 2, 5_000]) {
      const report = await audit(pageSize);
      expect(report.ok).toBe(false);
      expect(report.records).toBe(8);
      expect(named(report)).toEqual(expected);
    }
  });
});
