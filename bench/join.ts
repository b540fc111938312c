import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { addJoinShares, joinRing } from "../compute/join/join-ring.js";
import type { JoinPartial } from "../compute/join/partial.js";
import type { JoinPlan } from "../compute/join/plan.js";
import { signJoinPlan } from "../compute/join/plan.js";
import { joinRingBits } from "../compute/join/ring-bits.js";
import { decodeVector } from "../compute/mpc/ring.js";
import { allOrNothingOf, postToNode } from "../compute/mpc/secure-aggregate.js";
import { pinOfNodeKey } from "../compute/node/peers.js";
import type { AggregateQuery } from "../compute/query/schema.js";
import { freeLoopbackPort, type NodeProcess, spawnComputeNode } from "../gateway/node-processes.js";
import { type ScenarioTerms, signApproval } from "../lib/approvals.js";
import { generateEd25519KeyPair } from "../lib/ed25519.js";
import { report } from "./report.js";

// Joined aggregates across owners' nodes, each its own process over HTTP on loopback, the helper a
// third: JOIN_BENCH_ROWS rows at each owner (default 1,000,000), 70% of the keys shared, a filter on
// one owner's column, the mean of that owner's measure grouped by JOIN_BENCH_GROUPS districts
// (default 20) of the other's. The bench signs the plan as the gateway does and adds the two compute
// parties' shares (the gateway's whole part); the same query joined in one process is the limit.
// The measure is declared within [0, 10^6], as its values are, so the join runs in Z/2^64
// (`compute/join/ring-bits.ts`); JOIN_BENCH_UNBOUNDED=1 leaves the bounds out, for Z/2^128.

const rows = Number(process.env.JOIN_BENCH_ROWS ?? 1_000_000);
const groups = Number(process.env.JOIN_BENCH_GROUPS ?? 20);
const owners = Number(process.env.JOIN_BENCH_OWNERS ?? 2);
const bounds = process.env.JOIN_BENCH_UNBOUNDED === "1" ? {} : { bounds: { min: 0, max: 1_000_000 } };
const machine = { cpus: cpus().length, cpu: cpus()[0]?.model.split(" ").slice(0, 2).join(" ") };
const districts = Array.from({ length: groups }, (_, i) => `33${String(100 + i).padStart(4, "0")}`);

// A reproducible stream for the data (never for secrets).
let state = 0x9e3779b9;
const next = () => {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 2 ** 32;
};

/** Owner i holds keys [i·0.3·rows, i·0.3·rows + rows): consecutive owners share 70% of their keys. */
const keyOf = (owner: number, row: number) => `K${String(Math.floor(owner * 0.3 * rows) + row).padStart(9, "0")}`;
const tables = Array.from({ length: owners }, (_, owner) =>
  Array.from({ length: rows }, (_, row) => ({
    key: keyOf(owner, row),
    district: districts[Math.floor(next() * groups)] as string,
    employees: Math.floor(next() * 200),
    amount: Math.floor(next() * 1_000_000),
  })),
);

const dir = mkdtempSync(path.join(tmpdir(), "sluice-bench-join-"));
/** Each node's last log lines, printed when the join fails. */
const logs = new Map<string, string[]>();
const gateway = generateEd25519KeyPair();
const now = Date.now();

async function startNodes() {
  const parties = [...tables.map((_, i) => `owner_${i}`), "helper"];
  const keys = parties.map(() => generateEd25519KeyPair());
  const ownerKeys = parties.map(() => generateEd25519KeyPair());
  const ports = await Promise.all(parties.map(() => freeLoopbackPort()));
  const pins = parties.map((id, i) =>
    pinOfNodeKey(`node_${id}`, (keys[i] as { privateKeyPem: string }).privateKeyPem, `http://127.0.0.1:${ports[i]}`),
  );
  const nodes: NodeProcess[] = [];
  const pids: number[] = [];
  for (const [i, id] of parties.entries()) {
    const helper = id === "helper";
    writeFileSync(path.join(dir, `${id}.pem`), (keys[i] as { privateKeyPem: string }).privateKeyPem);
    if (!helper) {
      const lines = [
        `uscc,district,employees,amount`,
        ...(tables[i] ?? []).map((r) => `${r.key},${r.district},${r.employees},${r.amount}`),
      ];
      writeFileSync(path.join(dir, `${id}.csv`), `${lines.join("\n")}\n`);
    }
    const config = {
      nodeId: `node_${id}`,
      ownerId: id,
      port: ports[i],
      keyFile: `${id}.pem`,
      gatewayPublicKey: gateway.publicKey,
      shareTimeoutMs: 600_000,
      helper,
      spendLedgerFile: `${id}.spend.jsonl`,
      peers: pins.filter((_, j) => j !== i),
      ...(helper
        ? {}
        : {
            ownerPublicKeys: [(ownerKeys[i] as { publicKey: string }).publicKey],
            datasets: [
              {
                id: `ds_${id}`,
                file: `${id}.csv`,
                columns: [
                  { name: "uscc", type: "string", level: 1 },
                  { name: "district", type: "string", level: 1 },
                  { name: "employees", type: "integer", level: 1 },
                  { name: "amount", type: "integer", level: 1 },
                ],
              },
            ],
          }),
    };
    writeFileSync(path.join(dir, `${id}.json`), JSON.stringify(config));
    const node = await spawnComputeNode(path.join(dir, `${id}.json`), {
      onLog: (line) => {
        const lines = logs.get(id) ?? [];
        lines.push(line);
        if (lines.length > 5) lines.shift();
        logs.set(id, lines);
      },
    });
    nodes.push(node);
    pids.push(node.child.pid as number);
  }
  return { parties, keys, ownerKeys, pins, nodes, pids };
}

/** The process's peak resident memory so far, from Linux's VmHWM. */
function peakRssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmHWM:"));
  return Number(line?.replace(/\D+/g, "")) / 1024;
}

function plaintextJoin() {
  const started = performance.now();
  const byKey = tables.slice(1).map((t) => new Map(t.map((r) => [r.key, r])));
  const counts = new Float64Array(groups);
  const sums = new Float64Array(groups);
  for (const row of tables[0] ?? []) {
    const others = byKey.map((m) => m.get(row.key));
    if (others.some((o) => o === undefined)) continue;
    const measured = others[0] as { employees: number; amount: number };
    if (measured.employees < 50) continue;
    const group = districts.indexOf(row.district);
    counts[group] = (counts[group] as number) + 1;
    sums[group] = (sums[group] as number) + measured.amount;
  }
  return {
    seconds: (performance.now() - started) / 1000,
    cells: [...counts].flatMap((c, i) => [BigInt(c), BigInt(sums[i] as number)]),
  };
}

const nodes = await startNodes();
try {
  const terms: ScenarioTerms = {
    scenarioId: "sc_bench",
    operatorId: "bank",
    fields: tables
      .flatMap((_, i) => ["uscc", "district", "employees", "amount"].map((f) => `ds_owner_${i}.${f}`))
      .sort(),
    computeModes: ["join"],
    queryShapes: ["mean", "count"],
    minGroupSize: 1,
    epsilonPerQueryMicro: 0,
    epsilonBudgetMicro: 0,
    queryQuota: 10,
    validFrom: new Date(now - 60_000).toISOString(),
    validUntil: new Date(now + 86_400_000).toISOString(),
  };
  const task = (i: number) => ({
    role: "owner" as const,
    nodeId: `node_owner_${i}`,
    url: nodes.pins[i]?.url as string,
    publicKey: nodes.pins[i]?.publicKey as string,
    encryptionKey: nodes.pins[i]?.encryptionKey as string,
    datasetId: `ds_owner_${i}`,
    field: "uscc",
    approval: {
      kind: "signed" as const,
      ownerId: `owner_${i}`,
      signature: signApproval(`owner_${i}`, terms, (nodes.ownerKeys[i] as { privateKeyPem: string }).privateKeyPem),
    },
  });
  const groupBy = { field: "district", values: districts };
  const helperPin = nodes.pins[owners] as (typeof nodes.pins)[number];
  const plan: JoinPlan = {
    version: 1,
    jobId: "job_bench_join",
    scenarioId: "sc_bench",
    computeMode: "join",
    query: { aggregate: "mean", groupBy, ...bounds },
    parts: [
      {
        task: task(0),
        keyKind: "text",
        measuredField: null,
        query: { aggregate: "count", filters: [], groupBy },
        maxRowsPerKey: 1,
      },
      {
        task: task(1),
        keyKind: "text",
        measuredField: "amount",
        query: {
          aggregate: "mean",
          filters: [{ field: "employees", op: ">=", value: 50 }],
          ...bounds,
        } as AggregateQuery,
        maxRowsPerKey: 1,
      },
      ...tables.slice(2).map((_, j) => ({
        task: task(j + 2),
        keyKind: "text" as const,
        measuredField: null,
        query: { aggregate: "count", filters: [] } as AggregateQuery,
        maxRowsPerKey: 1,
      })),
    ],
    helper: { role: "helper", ...helperPin },
    minGroupSize: 1,
    valueScale: 1,
    epsilonMicro: 0,
    decisionHash: "b".repeat(64),
    terms,
    issuedAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
  };
  const body = JSON.stringify(signJoinPlan(plan, gateway.privateKeyPem));
  const started = performance.now();
  const answers = await allOrNothingOf([...plan.parts.map((p) => p.task), plan.helper], (t, cancel) =>
    postToNode(t, "/joins", body, { timeoutMs: 3_600_000 }, cancel),
  );
  const [a, b] = (answers as JoinPartial[])
    .slice(0, 2)
    .map((x) => decodeVector(Buffer.from(x.partial ?? "", "base64url"), groups * 2));
  const ringBits = joinRingBits(plan);
  const cells = addJoinShares(joinRing(ringBits), a as bigint[], b as bigint[]);
  const joinSeconds = (performance.now() - started) / 1000;
  const plain = plaintextJoin();
  if (cells.join() !== plain.cells.join()) throw new Error("the joined cells differ from the plaintext join's");
  const peaks = nodes.pids.map(peakRssMb);
  const shape = { rowsPerOwner: rows, owners, sharedKeys: "70% between consecutive owners", groups, machine };
  report("join", "join_agg_s", joinSeconds, "s", {
    ...shape,
    parties: owners + 1,
    ringBits,
    transport: "HTTP on loopback, one process each",
  });
  report("join", "join_plaintext_s", plain.seconds, "s", {
    ...shape,
    what: "the same join and mean in one process (Map lookup)",
  });
  report("join", "join_over_plaintext", joinSeconds / plain.seconds, "ratio", {});
  for (const [i, party] of nodes.parties.entries())
    report("join", "peak_rss_mb", peaks[i] as number, "MiB", { node: party });
} catch (error) {
  for (const [node, lines] of logs) console.error(`${node}:\n  ${lines.join("\n  ")}`);
  throw error;
} finally {
  await Promise.all(nodes.nodes.map((n) => n.stop()));
  rmSync(dir, { recursive: true, force: true });
}
