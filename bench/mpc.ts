import { createPrivateKey } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createSeededRandom } from "../compute/demo/synthetic.js";
import { runSecureAggregate } from "../compute/mpc/secure-aggregate.js";
import type { NodeConfigFile } from "../compute/node/config.js";
import type { ColumnSpec } from "../compute/node/datastore.js";
import { pinOfNodeKey } from "../compute/node/peers.js";
import { openDataStore } from "../compute/node/sources.js";
import { type QueryPlan, signPlan } from "../compute/protocol.js";
import type { AggregateQuery } from "../compute/query/schema.js";
import { freeLoopbackPort, type NodeProcess, spawnComputeNode } from "../gateway/node-processes.js";
import { type ScenarioTerms, signApproval } from "../lib/approvals.js";
import { generateEd25519KeyPair } from "../lib/ed25519.js";
import { percentile, report } from "./report.js";

// Secure aggregation across three owner nodes, each its own process with BENCH_MPC_ROWS rows
// (default 1,000,000), against the same aggregates computed in plaintext in one process. This
// process plays the gateway: it signs the plans and adds the partials.
const rows = Number(process.env.BENCH_MPC_ROWS ?? 1_000_000);
const repeats = Number(process.env.BENCH_MPC_REPEATS ?? 15);
const DISTRICTS = Array.from({ length: 20 }, (_, i) => `3301${String(i + 1).padStart(2, "0")}`);
const COLUMNS: ColumnSpec[] = [
  { name: "district", type: "string", level: 1 },
  { name: "amount", type: "integer", level: 3 },
];
const SUM: AggregateQuery = { aggregate: "sum", filters: [], bounds: { min: 0, max: 1_000_000 } };
// Twenty groups of a histogram: 19 edges.
const HISTOGRAM: AggregateQuery = {
  aggregate: "histogram",
  filters: [],
  bins: Array.from({ length: 19 }, (_, i) => (i + 1) * 50_000),
};

function writeData(file: string, seed: string, count: number) {
  const random = createSeededRandom(seed);
  const lines = ["district,amount"];
  for (let i = 0; i < count; i++)
    lines.push(`${DISTRICTS[Math.floor(random() * 20)]},${Math.floor(random() * 1_000_000)}`);
  writeFileSync(file, `${lines.join("\n")}\n`);
}

interface Owner {
  id: string;
  owner: ReturnType<typeof generateEd25519KeyPair>;
  node: NodeProcess;
  bytes: number[];
}

async function startOwners(dir: string, count: number, gatewayPublicKey: string): Promise<Owner[]> {
  // Each node pins the other two (keys and addresses), so both are decided before any starts.
  const ids = ["a", "b", "c"];
  const keys = ids.map(() => generateEd25519KeyPair());
  const ports = await Promise.all(ids.map(() => freeLoopbackPort()));
  const pins = ids.map((id, i) =>
    pinOfNodeKey(`node_${id}`, (keys[i] as { privateKeyPem: string }).privateKeyPem, `http://127.0.0.1:${ports[i]}`),
  );
  return Promise.all(
    ids.map(async (id, i) => {
      const nodeDir = path.join(dir, `${id}-${count}`);
      mkdirSync(nodeDir, { recursive: true });
      writeData(path.join(nodeDir, "data.csv"), `bench-${id}`, count);
      const key = keys[i] as ReturnType<typeof generateEd25519KeyPair>;
      writeFileSync(path.join(nodeDir, "node.pem"), key.privateKeyPem);
      const owner = generateEd25519KeyPair();
      const config: NodeConfigFile = {
        nodeId: `node_${id}`,
        ownerId: `owner_${id}`,
        host: "127.0.0.1",
        port: ports[i] as number,
        keyFile: "node.pem",
        gatewayPublicKey,
        ownerPublicKeys: [owner.publicKey],
        shareTimeoutMs: 60_000,
        helper: false,
        noiseFromLevel: 2,
        peers: pins.filter((_, j) => j !== i),
        spendLedgerFile: "spend-ledger.jsonl",
        datasets: [{ id: `ds_${id}`, file: "data.csv", columns: COLUMNS }],
      };
      writeFileSync(path.join(nodeDir, "node.json"), JSON.stringify(config));
      const bytes: number[] = [];
      const node = await spawnComputeNode(path.join(nodeDir, "node.json"), {
        onLog: (line) => {
          try {
            const entry = JSON.parse(line) as { msg?: string; bytesSent?: number };
            if (entry.msg === "partial returned" && entry.bytesSent) bytes.push(entry.bytesSent);
          } catch {}
        },
      });
      return { id, owner, node, bytes };
    }),
  );
}

function planFor(owners: Owner[], query: AggregateQuery, jobId: string): QueryPlan {
  const terms: ScenarioTerms = {
    scenarioId: "sc_bench",
    operatorId: "bench",
    fields: owners.flatMap((o) => [`ds_${o.id}.amount`, `ds_${o.id}.district`]).sort(),
    computeModes: ["mpc"],
    queryShapes: ["sum", "histogram"],
    minGroupSize: 20,
    epsilonPerQueryMicro: 1_000_000,
    epsilonBudgetMicro: 1_000_000_000,
    queryQuota: 1_000_000,
    validFrom: new Date(Date.now() - 60_000).toISOString(),
    validUntil: new Date(Date.now() + 3_600_000).toISOString(),
  };
  return {
    version: 2,
    jobId,
    scenarioId: "sc_bench",
    computeMode: "mpc",
    minGroupSize: terms.minGroupSize,
    query,
    valueScale: 1,
    epsilonMicro: 1_000_000,
    decisionHash: "b".repeat(64),
    terms,
    tasks: owners.map((o) => ({
      role: "owner" as const,
      nodeId: o.node.nodeId,
      url: o.node.url,
      publicKey: o.node.publicKey,
      encryptionKey: o.node.encryptionKey,
      datasetId: `ds_${o.id}`,
      field: "amount",
      approval: {
        kind: "signed" as const,
        ownerId: `owner_${o.id}`,
        signature: signApproval(`owner_${o.id}`, terms, o.owner.privateKeyPem),
      },
    })),
    issuedAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + 600_000).toISOString(),
  };
}

const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

async function timeProtocol(owners: Owner[], query: AggregateQuery, gatewayKey: string, label: string) {
  const times: number[] = [];
  for (let i = 0; i < repeats + 2; i++) {
    const signed = signPlan(planFor(owners, query, `job_${label}_${i}`), createPrivateKey(gatewayKey));
    const started = performance.now();
    await runSecureAggregate(signed, { timeoutMs: 120_000 });
    if (i >= 2) times.push(performance.now() - started); // the first two warm the nodes up
  }
  return median(times);
}

/** Each owner's own part alone, as its node computes it (DuckDB over its CSV), and the cells added. */
async function timePlaintext(dir: string, count: number, query: AggregateQuery) {
  const store = openDataStore({
    workDirectory: path.join(dir, "plaintext-work"),
    sources: { maxConnections: 1, statementTimeoutMs: 600_000, duckdbThreads: 2, duckdbMemoryLimit: "512MB" },
    datasets: ["a", "b", "c"].map((id) => ({
      id: `ds_${id}`,
      file: path.join(dir, `${id}-${count}`, "data.csv"),
      columns: COLUMNS,
    })),
  });
  const times: number[] = [];
  for (let i = 0; i < repeats + 2; i++) {
    const started = performance.now();
    const cells = await Promise.all(["a", "b", "c"].map((id) => store.aggregate(`ds_${id}`, "amount", query)));
    cells.reduce((total, vector) => total.map((x, j) => x + (vector[j] as bigint)));
    if (i >= 2) times.push(performance.now() - started);
  }
  await store.close();
  return median(times);
}

const dir = mkdtempSync(path.join(tmpdir(), "sluice-bench-mpc-"));
const gateway = generateEd25519KeyPair();
let running: Owner[] = [];
try {
  // Bytes on the wire must not depend on the row count: the same jobs on a hundredth of the rows.
  const small = Math.max(1_000, Math.floor(rows / 100));
  running = await startOwners(dir, small, gateway.publicKey);
  const smallSumMs = await timeProtocol(running, SUM, gateway.privateKeyPem, "small");
  const smallBytes = median(running.flatMap((o) => o.bytes));
  await Promise.all(running.map((o) => o.node.stop()));

  running = await startOwners(dir, rows, gateway.publicKey);
  const sumMs = await timeProtocol(running, SUM, gateway.privateKeyPem, "sum");
  const sumBytes = median(running.flatMap((o) => o.bytes));
  for (const o of running) o.bytes.length = 0;
  const histogramMs = await timeProtocol(running, HISTOGRAM, gateway.privateKeyPem, "histogram");
  const histogramBytes = median(running.flatMap((o) => o.bytes));
  await Promise.all(running.map((o) => o.node.stop()));
  running = [];

  const plainSum = await timePlaintext(dir, rows, SUM);
  const plainHistogram = await timePlaintext(dir, rows, HISTOGRAM);
  const context = { rowsPerNode: rows, nodes: 3, repeats, epsilon: 1 };
  report("mpc", "sum_ms", sumMs, "ms", context);
  report("mpc", "histogram_ms", histogramMs, "ms", { ...context, bins: 20 });
  report("mpc", "plaintext_ms", plainSum + plainHistogram, "ms", {
    ...context,
    sum: plainSum,
    histogram: plainHistogram,
    note: "the same aggregates over all rows, one process",
  });
  report("mpc", "overhead_ms", Math.max(sumMs - plainSum, histogramMs - plainHistogram), "ms", {
    ...context,
    sum: sumMs - plainSum,
    histogram: histogramMs - plainHistogram,
    sumMsWithHundredthOfRows: smallSumMs,
    note: "protocol latency minus plaintext latency; the nodes compute in parallel, the plaintext runs alone",
  });
  report("mpc", "bytes_per_node", sumBytes, "bytes", {
    ...context,
    histogram: histogramBytes,
    sumWithHundredthOfRows: smallBytes,
    rowsSmall: small,
  });
} finally {
  await Promise.all(running.map((o) => o.node.stop()));
  rmSync(dir, { recursive: true, force: true });
}
