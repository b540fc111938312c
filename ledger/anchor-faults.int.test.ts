import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { eq, inArray, isNull } from "drizzle-orm";
import type { JsonRpcProvider } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anchorBatches, type Database, usageRecords } from "../store/index.js";
import { startChainProxy } from "../test/support/chain-proxy.js";
import { openFreshPostgres, testDatabases } from "../test/support/databases.js";
import { gatewayKeys, seedJob } from "../test/support/usage-records.js";
import { waitFor } from "../test/support/wait-for.js";
import { type AnchorStep, anchorPending } from "./anchor.js";
import { createAnchorWorker } from "./anchor-worker.js";
import { createLedgerClient, type LedgerClient } from "./client.js";
import { ensureUsageLedger } from "./deployments.js";
import { EMBEDDED_CHAIN_PRIVATE_KEY, type EmbeddedChain, startEmbeddedChain } from "./embedded-chain.js";
import { ANCHORING_LEASE, createLeaderLease } from "./leader-lease.js";
import { proveRecord } from "./proof.js";
import { createChainProvider } from "./provider.js";

/** The anchoring lease's lifetime in the kill tests: short, so that a standby takes over quickly. */
const LEASE_MS = 1_500;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Every record seeded is in exactly one batch, every batch is on chain exactly once with its root, and every record proves. */
async function expectAnchoredOnce(database: Database, ledger: LedgerClient, recordIds: string[]) {
  const rows = await database.db.select().from(usageRecords).where(inArray(usageRecords.id, recordIds));
  expect(rows).toHaveLength(recordIds.length);
  const batchIds = [...new Set(rows.map((r) => r.batchId))];
  expect(batchIds.every((id) => id !== null)).toBe(true);
  const batches = await database.db
    .select()
    .from(anchorBatches)
    .where(inArray(anchorBatches.id, batchIds as string[]));
  for (const batch of batches) {
    expect(batch.status).toBe("anchored");
    expect((await ledger.getBatch(batch.id))?.root).toBe(batch.root);
    const anchoredEvents = await ledger.findAnchorTransactions(batch.id);
    expect(anchoredEvents).toHaveLength(1);
  }
  for (const id of recordIds) {
    expect((await proveRecord(database.db, ledger, id, gatewayKeys.publicKey)).verified).toBe(true);
  }
}

describe("anchoring through a failing chain", () => {
  let dataDir: string;
  let chain: EmbeddedChain;
  let database: Database;
  let proxy: Awaited<ReturnType<typeof startChainProxy>>;
  let proxied: JsonRpcProvider;
  let ledger: LedgerClient;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "sluice-chain-"));
    chain = await startEmbeddedChain({ dataDir });
    database = await testDatabases()[0]!.open();
    const address = await ensureUsageLedger(database.db, chain.provider, EMBEDDED_CHAIN_PRIVATE_KEY);
    proxy = await startChainProxy(chain.rpcUrl);
    proxied = createChainProvider(proxy.url);
    ledger = createLedgerClient({
      provider: proxied,
      privateKey: EMBEDDED_CHAIN_PRIVATE_KEY,
      usageLedgerAddress: address,
    });
  });
  afterAll(async () => {
    proxied?.destroy();
    await proxy?.close();
    await chain?.stop();
    await database?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("keeps records waiting while the chain is down, backs off, and anchors them once it is back", async () => {
    proxy.setMode("down");
    const ids = [(await seedJob(database, 100)).record.recordId, (await seedJob(database, 200)).record.recordId];
    const retries: number[] = [];
    const worker = createAnchorWorker({
      db: database.db,
      ledger,
      gatewayPublicKey: gatewayKeys.publicKey,
      intervalMs: 40,
      maxBackoffMs: 320,
      onError: (_error, retryInMs) => retries.push(retryInMs),
    });
    worker.start();
    try {
      await waitFor(
        async () => retries.length,
        (n) => n >= 4,
      );
      expect(worker.failuresInARow).toBeGreaterThanOrEqual(4);
      // 40 ms doubled per failure (±25% jitter): 80, 160, 320, then held at the 320 ms cap.
      expect(retries[0]).toBeGreaterThanOrEqual(60);
      expect(retries[0]).toBeLessThanOrEqual(100);
      expect(retries[1]).toBeGreaterThanOrEqual(120);
      expect(retries[1]).toBeLessThanOrEqual(200);
      expect(retries[3]).toBeGreaterThanOrEqual(240);
      expect(retries[3]).toBeLessThanOrEqual(400);
      const waiting = await database.db.select().from(usageRecords).where(inArray(usageRecords.id, ids));
      for (const row of waiting) {
        if (row.batchId) expect((await chainLedger(chain, ledger).getBatch(row.batchId))?.root).toBeUndefined();
      }

      proxy.setMode("up");
      await waitFor(
        () => database.db.select().from(anchorBatches).where(eq(anchorBatches.status, "sending")),
        (sending) => sending.length === 0 && worker.failuresInARow === 0,
      );
      await waitFor(
        () => database.db.select().from(usageRecords).where(isNull(usageRecords.batchId)),
        (left) => left.length === 0,
      );
    } finally {
      await worker.stop();
    }
    await expectAnchoredOnce(database, ledger, ids);
  });

  it("anchors through a slow chain", async () => {
    proxy.setMode("slow");
    try {
      const ids = [(await seedJob(database, 300)).record.recordId];
      expect(await anchorPending({ db: database.db, gatewayPublicKey: gatewayKeys.publicKey, ledger })).toMatchObject({
        recordCount: 1,
      });
      await expectAnchoredOnce(database, ledger, ids);
    } finally {
      proxy.setMode("up");
    }
  });

  it("sends again a batch that a reorganisation dropped from the chain", async () => {
    const snapshot = await chain.provider.send("evm_snapshot", []);
    const ids = [(await seedJob(database, 400)).record.recordId];
    const batch = await anchorPending({
      db: database.db,
      gatewayPublicKey: gatewayKeys.publicKey,
      ledger,
      finalityBlocks: 12,
    });
    expect(await ledger.getBatch(batch!.batchId)).not.toBeNull();

    expect(await chain.provider.send("evm_revert", [snapshot])).toBe(true);
    expect(await ledger.getBatch(batch!.batchId)).toBeNull();

    expect(
      await anchorPending({ db: database.db, gatewayPublicKey: gatewayKeys.publicKey, ledger, finalityBlocks: 12 }),
    ).toBeNull();
    await expectAnchoredOnce(database, ledger, ids);
  });
});

/** The same contract read straight from the chain, bypassing the proxy. */
function chainLedger(chain: EmbeddedChain, through: LedgerClient) {
  return createLedgerClient({
    provider: chain.provider,
    privateKey: EMBEDDED_CHAIN_PRIVATE_KEY,
    usageLedgerAddress: through.address,
  });
}

const serverUrl = process.env.TEST_DATABASE_URL;
const STEPS: AnchorStep[] = ["batch-sealed", "transaction-sent", "receipt-received", "batch-marked"];

// Two processes share the outbox here, which PGlite (one process per data directory) cannot.
describe.runIf(serverUrl)("killing the anchoring worker (a separate process, PostgreSQL)", () => {
  let dataDir: string;
  let chain: EmbeddedChain;
  let database: Database & { url: string };
  let ledger: LedgerClient;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "sluice-chain-"));
    chain = await startEmbeddedChain({ dataDir });
    database = await openFreshPostgres(serverUrl as string);
    const address = await ensureUsageLedger(database.db, chain.provider, EMBEDDED_CHAIN_PRIVATE_KEY);
    ledger = createLedgerClient({
      provider: chain.provider,
      privateKey: EMBEDDED_CHAIN_PRIVATE_KEY,
      usageLedgerAddress: address,
    });
  });
  afterAll(async () => {
    await chain?.stop();
    await database?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  function runWorkerUntil(step: AnchorStep): Promise<{ signal: NodeJS.Signals | null; output: string }> {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "test/support/anchor-child.ts")], {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: database.url,
        CHAIN_RPC_URL: chain.rpcUrl,
        SLUICE_CHAIN_PRIVATE_KEY: EMBEDDED_CHAIN_PRIVATE_KEY,
        USAGE_LEDGER_ADDRESS: ledger.address,
        GATEWAY_PUBLIC_KEY: gatewayKeys.publicKey,
        SLUICE_TEST_CRASH_AT: step,
        SLUICE_TEST_LEASE_MS: String(LEASE_MS),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    return new Promise((resolve) => child.once("exit", (_code, signal) => resolve({ signal, output })));
  }

  it.each(
    STEPS,
  )("leader killed at %s: a standby takes the lapsed lease and anchors every record exactly once", async (step) => {
    const ids = [
      (await seedJob(database, 10)).record.recordId,
      (await seedJob(database, 20)).record.recordId,
      (await seedJob(database, 30)).record.recordId,
    ];
    const killed = await runWorkerUntil(step);
    expect(killed.signal, killed.output).toBe("SIGKILL");
    const [sealed] = await database.db
      .select()
      .from(usageRecords)
      .where(eq(usageRecords.id, ids[0] as string));
    const [batch] = await database.db
      .select()
      .from(anchorBatches)
      .where(eq(anchorBatches.id, sealed?.batchId as string));
    expect(batch?.status).toBe(step === "batch-marked" ? "anchored" : "sending");
    const onChainBeforeRecovery = await ledger.getBatch(batch!.id);
    expect(onChainBeforeRecovery === null).toBe(step === "batch-sealed");

    // A standby replica: the dead leader's lease holds it back until the lease lapses, then it anchors.
    const lease = createLeaderLease({ db: database.db, name: ANCHORING_LEASE, holder: "standby", ttlMs: LEASE_MS });
    const standby = createAnchorWorker({
      db: database.db,
      ledger,
      gatewayPublicKey: gatewayKeys.publicKey,
      intervalMs: 50,
      lease,
    });
    await lease.start();
    expect(lease.held).toBe(false);
    standby.start();
    try {
      await waitFor(
        async () =>
          (await database.db.select().from(anchorBatches).where(eq(anchorBatches.status, "anchored"))).length >=
          (await database.db.select().from(anchorBatches)).length,
        (done) => done && lease.held,
        200,
      );
      await waitFor(
        () => database.db.select().from(usageRecords).where(isNull(usageRecords.batchId)),
        (left) => left.length === 0,
        200,
      );
    } finally {
      await standby.stop();
      await lease.stop();
    }
    await expectAnchoredOnce(database, ledger, ids);
  });
});
