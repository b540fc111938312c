import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, usageRecords } from "../store/index.js";
import { type TestChain, testChainsAndDatabases } from "../test/support/chains.js";
import { testDatabases } from "../test/support/databases.js";
import { gatewayKeys, seedJob } from "../test/support/usage-records.js";
import { anchorBacklog, anchorPending } from "./anchor.js";
import { createLedgerClient } from "./client.js";
import { ensureUsageLedger } from "./deployments.js";
import { EMBEDDED_CHAIN_PRIVATE_KEY, startEmbeddedChain } from "./embedded-chain.js";
import { startInProcessChain } from "./in-process-chain.js";
import { proveRecord } from "./proof.js";

describe.each(testChainsAndDatabases())("anchoring over JSON-RPC on $name", ({ chain: kind, database: store }) => {
  let chain: TestChain;
  let database: Database;

  beforeAll(async () => {
    chain = await kind.start();
    database = await store.open();
  });
  afterAll(async () => {
    await chain?.stop();
    await database?.close();
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
    const batch = await anchorPending({ db: database.db, gatewayPublicKey: gatewayKeys.publicKey, ledger });
    expect(batch?.recordCount).toBe(3);
    expect(await anchorPending({ db: database.db, gatewayPublicKey: gatewayKeys.publicKey, ledger })).toBeNull();

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

  it("drains a backlog in full batches, sealing the next while the last is sent", async () => {
    const address = await ensureUsageLedger(database.db, chain.provider, EMBEDDED_CHAIN_PRIVATE_KEY);
    const ledger = createLedgerClient({
      provider: chain.provider,
      privateKey: EMBEDDED_CHAIN_PRIVATE_KEY,
      usageLedgerAddress: address,
    });
    const sealed = [];
    for (let i = 0; i < 5; i++) sealed.push(await seedJob(database, 10 + i));
    expect(
      await anchorBacklog({ db: database.db, gatewayPublicKey: gatewayKeys.publicKey, ledger, maxBatchSize: 2 }, 2),
    ).toEqual({ batches: 2, records: 4 });
    expect(
      await anchorBacklog({ db: database.db, gatewayPublicKey: gatewayKeys.publicKey, ledger, maxBatchSize: 2 }),
    ).toEqual({ batches: 1, records: 1 });
    expect(
      await anchorBacklog({ db: database.db, gatewayPublicKey: gatewayKeys.publicKey, ledger, maxBatchSize: 2 }),
    ).toEqual({ batches: 0, records: 0 });
    for (const { record } of sealed) {
      expect((await proveRecord(database.db, ledger, record.recordId, gatewayKeys.publicKey)).verified).toBe(true);
    }
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
    await expect(
      anchorPending({ db: database.db, gatewayPublicKey: gatewayKeys.publicKey, ledger: broken }),
    ).rejects.toThrow("chain went away");
    const [row] = await database.db.select().from(usageRecords).where(eq(usageRecords.id, sealed.record.recordId));
    expect(row?.batchId).toBeTruthy();

    const resumed = await anchorPending({ db: database.db, gatewayPublicKey: gatewayKeys.publicKey, ledger });
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
      const batch = await anchorPending({ db: database.db, gatewayPublicKey: gatewayKeys.publicKey, ledger });
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
        expect(
          await anchorPending({ db: database.db, gatewayPublicKey: gatewayKeys.publicKey, ledger: again }),
        ).toMatchObject({ recordCount: 1 });
      } finally {
        await second.stop();
      }

      // A crash after the last transaction was sent, before its block was journaled (that line is
      // not fsynced), torn mid-write: the rebuild still gives the same chain.
      const journalFile = path.join(dataDir, "journal.jsonl");
      const lines = readFileSync(journalFile, "utf8").trimEnd().split("\n");
      expect(JSON.parse(lines.at(-1) as string)).toMatchObject({ kind: "mined" });
      const lastHead = JSON.parse(lines.at(-1) as string) as { blockNumber: number; blockHash: string };
      writeFileSync(journalFile, `${lines.slice(0, -1).join("\n")}\n{"kind":"mined","ha`);
      const third = await startEmbeddedChain({ dataDir });
      try {
        expect((await third.provider.getBlock(lastHead.blockNumber))?.hash).toBe(lastHead.blockHash);
      } finally {
        await third.stop();
      }
    } finally {
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("anchoring on the in-process chain (Hardhat's EVM in this process, no HTTP)", () => {
  it("anchors, proves and reads an unknown batch as absent", async () => {
    const chain = await startInProcessChain();
    const database = await testDatabases()[0]!.open();
    try {
      const address = await ensureUsageLedger(database.db, chain.provider, EMBEDDED_CHAIN_PRIVATE_KEY);
      const ledger = createLedgerClient({
        provider: chain.provider,
        privateKey: EMBEDDED_CHAIN_PRIVATE_KEY,
        usageLedgerAddress: address,
      });
      const sealed = await seedJob(database, 250);
      const batch = await anchorPending({ db: database.db, gatewayPublicKey: gatewayKeys.publicKey, ledger });
      expect((await ledger.getBatch(batch!.batchId))?.feeTotalFen).toBe(250n);
      expect(await ledger.getBatch("batch_never")).toBeNull();
      const proof = await proveRecord(database.db, ledger, sealed.record.recordId, gatewayKeys.publicKey);
      expect(proof.verified).toBe(true);
    } finally {
      await chain.stop();
      await database.close();
    }
  });
});
