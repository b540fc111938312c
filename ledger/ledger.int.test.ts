import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateEd25519KeyPair } from "../lib/ed25519.js";
import { newId } from "../lib/ids.js";
import { type Database, decisions, jobs, participants, scenarios, usageRecords } from "../store/index.js";
import { testDatabases } from "../test/support/databases.js";
import { anchorPending } from "./anchor.js";
import { createLedgerClient } from "./client.js";
import { ensureUsageLedger } from "./deployments.js";
import { EMBEDDED_CHAIN_PRIVATE_KEY, type EmbeddedChain, startEmbeddedChain } from "./embedded-chain.js";
import { writeUsageRecord } from "./outbox.js";
import { proveRecord } from "./proof.js";
import { sealUsageRecord } from "./usage-record.js";

const gatewayKeys = generateEd25519KeyPair();

async function seedJob(database: Database, feeFen: number) {
  const { db } = database;
  const jobId = newId("job");
  await db
    .insert(participants)
    .values({ id: "op", name: "Bank", role: "operator", publicKey: "pk-op" })
    .onConflictDoNothing();
  await db
    .insert(scenarios)
    .values({
      id: "sc",
      operatorId: "op",
      purpose: "test",
      datasetIds: [],
      datasetVersions: {},
      fields: [],
      computeModes: ["mpc"],
      queryShapes: ["sum"],
      minGroupSize: 1,
      epsilonPerQueryMicro: 0,
      epsilonBudgetMicro: 0,
      queryQuota: 10,
      pricePerQueryFen: feeFen,
      platformShareBasisPoints: 1000,
      validFrom: new Date(0),
      validUntil: new Date(Date.now() + 1e9),
    })
    .onConflictDoNothing();
  const now = new Date().toISOString();
  const sealed = sealUsageRecord(
    {
      schemaVersion: 1,
      recordId: newId("rec"),
      jobId,
      requestId: null,
      scenarioId: "sc",
      operatorId: "op",
      computeMode: "mpc",
      queryShape: "sum",
      owners: [{ ownerId: "tax", datasetId: "ds", contributionUnits: 1 }],
      epsilonSpent: 0,
      feeFen,
      decisionHash: "d".repeat(64),
      resultHash: "e".repeat(64),
      startedAt: now,
      finishedAt: now,
    },
    gatewayKeys.privateKeyPem,
  );
  await db
    .insert(decisions)
    .values({ hash: "d".repeat(64), request: {}, state: {}, decision: {} })
    .onConflictDoNothing();
  await db.transaction(async (tx) => {
    await tx.insert(jobs).values({
      id: jobId,
      scenarioId: "sc",
      operatorId: "op",
      query: { computeMode: "mpc", queryShape: "sum", fields: [], epsilon: 0 },
      status: "succeeded",
      decisionHash: "d".repeat(64),
    });
    await writeUsageRecord(tx, sealed);
  });
  return sealed;
}

describe.each(testDatabases())("anchoring on the embedded chain with $name", ({ open }) => {
  let dataDir: string;
  let chain: EmbeddedChain;
  let database: Database;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "sluice-chain-"));
    chain = await startEmbeddedChain({ dataDir });
    database = await open();
  });
  afterAll(async () => {
    await chain?.stop();
    await database?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("anchors pending records once, proves each, and detects a tampered record", async () => {
    const address = await ensureUsageLedger(database.db, chain.provider, EMBEDDED_CHAIN_PRIVATE_KEY);
    expect(await ensureUsageLedger(database.db, chain.provider, EMBEDDED_CHAIN_PRIVATE_KEY)).toBe(address);
    const ledger = createLedgerClient({
      provider: chain.provider,
      privateKey: EMBEDDED_CHAIN_PRIVATE_KEY,
      usageLedgerAddress: address,
    });

    const records = [await seedJob(database, 500), await seedJob(database, 700), await seedJob(database, 1)];
    const batch = await anchorPending({ db: database.db, ledger });
    expect(batch?.recordCount).toBe(3);
    expect(await anchorPending({ db: database.db, ledger })).toBeNull();

    const onChain = await ledger.getBatch(batch!.batchId);
    expect(onChain?.recordCount).toBe(3);
    expect(onChain?.feeTotalFen).toBe(1201n);

    for (const sealed of records) {
      const proof = await proveRecord(database.db, ledger, sealed.record.recordId, gatewayKeys.publicKey);
      expect(proof.verified).toBe(true);
      expect(proof.anchor?.root).toBe(onChain?.root);
    }

    const victim = records[1]!.record.recordId;
    await database.db.execute(
      sql`update usage_records set record = jsonb_set(record, '{feeFen}', '1') where id = ${victim}`,
    );
    const tampered = await proveRecord(database.db, ledger, victim, gatewayKeys.publicKey);
    expect(tampered.verified).toBe(false);
    expect(tampered.checks).toMatchObject({
      recordHashMatches: false,
      gatewaySignatureValid: false,
      proofValid: false,
      rootOnChain: true,
    });
  });

  it("finishes a batch that a crash left between the database and the chain, without anchoring twice", async () => {
    const address = await ensureUsageLedger(database.db, chain.provider, EMBEDDED_CHAIN_PRIVATE_KEY);
    const ledger = createLedgerClient({
      provider: chain.provider,
      privateKey: EMBEDDED_CHAIN_PRIVATE_KEY,
      usageLedgerAddress: address,
    });
    const sealed = await seedJob(database, 300);
    // A ledger whose sends fail stands in for a crash after the batch row was written.
    const broken = { ...ledger, anchorBatch: async () => Promise.reject(new Error("chain went away")) };
    await expect(anchorPending({ db: database.db, ledger: broken })).rejects.toThrow("chain went away");
    const [row] = await database.db.select().from(usageRecords).where(eq(usageRecords.id, sealed.record.recordId));
    expect(row?.batchId).toBeTruthy();

    const resumed = await anchorPending({ db: database.db, ledger });
    expect(resumed).toBeNull();
    const proof = await proveRecord(database.db, ledger, sealed.record.recordId, gatewayKeys.publicKey);
    expect(proof.verified).toBe(true);
    expect(proof.anchor?.txHash).toMatch(/^0x[0-9a-f]{64}$/);
  });
});

describe("the embedded chain across a restart", () => {
  it("rebuilds the same addresses, roots and block hashes from its journal", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "sluice-chain-"));
    const database = await testDatabases()[0]!.open();
    try {
      const first = await startEmbeddedChain({ dataDir });
      const address = await ensureUsageLedger(database.db, first.provider, EMBEDDED_CHAIN_PRIVATE_KEY);
      const ledger = createLedgerClient({
        provider: first.provider,
        privateKey: EMBEDDED_CHAIN_PRIVATE_KEY,
        usageLedgerAddress: address,
      });
      await seedJob(database, 900);
      const batch = await anchorPending({ db: database.db, ledger });
      const head = await first.provider.getBlock("latest");
      const root = (await ledger.getBatch(batch!.batchId))?.root;
      await first.stop();

      const second = await startEmbeddedChain({ dataDir });
      try {
        expect(second.replayed).toBeGreaterThanOrEqual(3);
        expect(await ensureUsageLedger(database.db, second.provider, EMBEDDED_CHAIN_PRIVATE_KEY)).toBe(address);
        const again = createLedgerClient({
          provider: second.provider,
          privateKey: EMBEDDED_CHAIN_PRIVATE_KEY,
          usageLedgerAddress: address,
        });
        expect((await again.getBatch(batch!.batchId))?.root).toBe(root);
        const sameHead = await second.provider.getBlock(head!.number);
        expect(sameHead?.hash).toBe(head?.hash);
        // The rebuilt chain keeps accepting transactions after the replayed ones.
        await seedJob(database, 100);
        expect(await anchorPending({ db: database.db, ledger: again })).toMatchObject({ recordCount: 1 });
      } finally {
        await second.stop();
      }
    } finally {
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
