import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { eq } from "drizzle-orm";
import { anchorBacklog } from "../ledger/anchor.js";
import type { LedgerClient } from "../ledger/client.js";
import { connectContracts } from "../ledger/deployments.js";
import { EMBEDDED_CHAIN_PRIVATE_KEY, startEmbeddedChain } from "../ledger/embedded-chain.js";
import { buildFastRecordTree } from "../ledger/fast-merkle.js";
import { startInProcessChain } from "../ledger/in-process-chain.js";
import { LedgerPool } from "../ledger/ledger-pool.js";
import { verifyRecordProof } from "../ledger/merkle.js";
import { recordPagesWrittenIn, settlementRecordOf } from "../ledger/period-records.js";
import { createSettlementAccumulator } from "../ledger/settlement.js";
import { anchorStoredStatement } from "../ledger/statement-anchor.js";
import { type Database, settlementStatements, usageRecords } from "../store/index.js";
import { openFreshPostgres } from "../test/support/databases.js";
import { report } from "./report.js";
import { seedUsageRecords } from "./support/ledger-seed.js";

// The ledger: usage records anchored per second on the in-process chain (Hardhat's EVM in this
// process) and on `hardhat node` over JSON-RPC (the embedded chain, a child process); Merkle proofs
// verified per second with @openzeppelin/merkle-tree; and the regulator's audit of
// LEDGER_BENCH_RECORDS records (default 1,000,000; each with its own decision, replayed), run in a
// process of its own so its wall time and peak memory are its own. PostgreSQL from
// BENCH_DATABASE_URL (default the local server); batches of LEDGER_BENCH_BATCH records.
const here = path.dirname(fileURLToPath(import.meta.url));
const records = Number(process.env.LEDGER_BENCH_RECORDS ?? 1_000_000);
const batchSize = Number(process.env.LEDGER_BENCH_BATCH ?? 4_096);
const inProcessRecords = Math.min(records, Number(process.env.LEDGER_BENCH_IN_PROCESS_RECORDS ?? 200_000));
const serverUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const machine = { cpus: cpus().length, cpu: cpus()[0]?.model };
const progress = (label: string, total: number) => (done: number) => {
  if (done === total || done % 100_000 === 0) process.stderr.write(`${label}: ${done}/${total}\n`);
};

const pool = new LedgerPool(2);

async function anchorAll(database: Database, ledger: LedgerClient, gatewayPublicKey: string): Promise<number> {
  const started = performance.now();
  let anchored = 0;
  for (;;) {
    const pass = await anchorBacklog({ db: database.db, ledger, gatewayPublicKey, maxBatchSize: batchSize, pool });
    if (pass.batches === 0) break;
    anchored += pass.records;
  }
  return anchored / ((performance.now() - started) / 1000);
}

// 1. Anchoring on the in-process chain.
{
  const database = await openFreshPostgres(serverUrl);
  const chain = await startInProcessChain(31_338);
  try {
    const gatewayPublicKey = await seedUsageRecords(
      database,
      database.url,
      inProcessRecords,
      new Date(Date.now() - 86_400_000),
      {
        distinctDecisions: false,
        onProgress: progress("seeding (in-process chain)", inProcessRecords),
      },
    );
    const { ledger } = await connectContracts(database.db, chain.provider, EMBEDDED_CHAIN_PRIVATE_KEY);
    const rate = await anchorAll(database, ledger, gatewayPublicKey);
    report("ledger", "anchored_records_per_s", rate, "records/s", {
      chain: "in-process (Hardhat EVM, no HTTP)",
      records: inProcessRecords,
      batchSize,
      database: "postgresql",
      machine,
    });
  } finally {
    await chain.stop();
    await database.close();
  }
}

// 2. The audit's database: anchored over JSON-RPC, settled, proved, audited.
const dataDir = mkdtempSync(path.join(tmpdir(), "sluice-bench-chain-"));
const chain = await startEmbeddedChain({ dataDir });
const database = await openFreshPostgres(serverUrl);
try {
  const from = new Date(Date.now() - 2 * 86_400_000);
  const gatewayPublicKey = await seedUsageRecords(database, database.url, records, from, {
    onProgress: progress("seeding (audit)", records),
  });
  const period = { start: from, end: new Date(from.getTime() + records + 1) };
  const { ledger, settlement } = await connectContracts(database.db, chain.provider, EMBEDDED_CHAIN_PRIVATE_KEY);
  const rpcRate = await anchorAll(database, ledger, gatewayPublicKey);
  report("ledger", "anchored_records_per_s_rpc", rpcRate, "records/s", {
    chain: "hardhat node over JSON-RPC (child process)",
    records,
    batchSize,
    database: "postgresql",
    machine,
  });

  // One statement for the period, so the audit recomputes a million-record settlement too.
  const statement = createSettlementAccumulator({ start: period.start.toISOString(), end: period.end.toISOString() });
  const shares = { platformShareBasisPoints: 1000, ownerShareBasisPoints: null };
  for await (const page of recordPagesWrittenIn(database.db, period)) {
    for (const row of page) statement.add(settlementRecordOf(row), shares);
  }
  const settled = statement.finish();
  await database.db.insert(settlementStatements).values({
    id: "stl_bench",
    periodStart: period.start,
    periodEnd: period.end,
    recordCount: settled.recordCount,
    feeTotalFen: settled.feeTotalFen,
    statement: settled as unknown as Record<string, unknown>,
    root: settled.root,
    recordsHash: settled.recordsHash,
    createdBy: "bench",
  });
  await anchorStoredStatement(database.db, settlement, "stl_bench", settled);

  // Proofs: one anchored batch's records, each proved against its root with the public library.
  const [first] = await database.db.select().from(usageRecords).where(eq(usageRecords.leafIndex, 0)).limit(1);
  const members = await database.db
    .select({ recordHash: usageRecords.recordHash, leafIndex: usageRecords.leafIndex })
    .from(usageRecords)
    .where(eq(usageRecords.batchId, first?.batchId as string));
  members.sort((a, b) => (a.leafIndex ?? 0) - (b.leafIndex ?? 0));
  const tree = buildFastRecordTree(members.map((m) => m.recordHash));
  const proofs = members.map((m, i) => ({ hash: m.recordHash, proof: tree.getProof(i) }));
  const verifications = Math.min(20_000, proofs.length * 4);
  let started = performance.now();
  let verified = 0;
  for (let i = 0; i < verifications; i++) {
    const { hash, proof } = proofs[i % proofs.length] as { hash: string; proof: string[] };
    if (verifyRecordProof(tree.root, hash, proof)) verified++;
  }
  if (verified !== verifications) throw new Error(`only ${verified} of ${verifications} proofs verified`);
  report("ledger", "proof_verifications_per_s", verifications / ((performance.now() - started) / 1000), "proofs/s", {
    library: "@openzeppelin/merkle-tree StandardMerkleTree.verify",
    leaves: members.length,
    proofLength: proofs[0]?.proof.length,
    cores: 1,
  });

  // The audit, in its own process.
  started = performance.now();
  const child = spawn(process.execPath, ["--import", "tsx", path.join(here, "support", "ledger-audit.ts")], {
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      CHAIN_RPC_URL: chain.rpcUrl,
      SLUICE_CHAIN_PRIVATE_KEY: EMBEDDED_CHAIN_PRIVATE_KEY,
      USAGE_LEDGER_ADDRESS: ledger.address,
      SETTLEMENT_ADDRESS: settlement.address,
      GATEWAY_PUBLIC_KEY: gatewayPublicKey,
      PERIOD_START: period.start.toISOString(),
      PERIOD_END: period.end.toISOString(),
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`the audit exited with ${code}: ${output}`);
  const audit = JSON.parse(output.trim().split("\n").pop() as string) as {
    seconds: number;
    floorSeconds: number;
    floorTexts: number;
    peakRssMb: number;
    records: number;
    findings: number;
    ok: boolean;
  };
  if (!audit.ok || audit.records !== records) throw new Error(`the audit did not pass: ${output}`);
  const { floorSeconds, floorTexts, ...audited } = audit;
  report("ledger", "audit_s", audit.seconds, "s", { ...audited, workers: 2, machine });
  report("ledger", "audit_floor_s", floorSeconds, "s", {
    records,
    texts: floorTexts,
    what: "reading the period's records and their decisions from the database and hashing the RFC 8785 form of each on 2 worker threads",
    machine,
  });
  report("ledger", "audit_over_floor", audit.seconds / floorSeconds, "ratio", { target: "at most 3" });
  report("ledger", "audit_peak_rss_mb", audit.peakRssMb, "MiB", {
    records,
    note: "the audit process's maxRSS, worker threads included",
  });
} finally {
  await chain.stop();
  await database.close();
  rmSync(dataDir, { recursive: true, force: true });
  await pool.close();
}
