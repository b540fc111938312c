import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { SharedNonceStore } from "../gateway/auth/shared-nonce-store.js";
import { freeLoopbackPort } from "../gateway/node-processes.js";
import { startEmbeddedChain } from "../ledger/index.js";
import { readKeyFile } from "../lib/key-file.js";
import { createDb } from "../store/index.js";
import { report } from "./report.js";
import { signedLoad } from "./support/signed-load.js";

// Signed reads per second through HAProxy in front of one, two and three gateway replicas on one
// PostgreSQL and one chain (signed_rps_1/2/3), beside one replica loaded directly (no proxy: the
// limit the proxy is measured against), and what claiming a nonce in the shared database costs
// (nonce_claim_us). BENCH_DATABASE_URL names the PostgreSQL server (a fresh database is made on it
// and dropped); BENCH_REPLICAS_SECONDS (10), BENCH_REPLICAS_CONNECTIONS (16). BENCH_TASKSET=1 pins
// each replica to a core of its own (round robin over the cores), as on a larger machine.
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const seconds = Number(process.env.BENCH_REPLICAS_SECONDS ?? 10);
const connections = Number(process.env.BENCH_REPLICAS_CONNECTIONS ?? 16);
const serverUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const pin = process.env.BENCH_TASKSET === "1";
const machine = { cpus: cpus().length, cpu: cpus()[0]?.model.split(" ").slice(0, 3).join(" ") };

interface Server {
  child: ChildProcess;
  url: string;
  keysDir: string;
}

function startReplica(env: Record<string, string>, index: number): Promise<Server> {
  const script = [path.join(here, "support", "gateway-server.ts"), env.DATA_DIR as string];
  const command = pin ? "taskset" : process.execPath;
  const args = pin
    ? ["-c", String(index % cpus().length), process.execPath, "--import", "tsx", ...script]
    : ["--import", "tsx", ...script];
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      try {
        const event = JSON.parse(line) as { event?: string; url: string; keysDir: string };
        if (event.event === "listening") resolve({ child, url: event.url, keysDir: event.keysDir });
      } catch {}
    });
    child.once("exit", (code) => reject(new Error(`replica exited (${code})`)));
  });
}

/** HAProxy in round robin over the replicas: deploy/haproxy.cfg's settings, with as many servers as there are. */
async function startProxy(dir: string, replicas: Server[]): Promise<{ child: ChildProcess; url: string }> {
  const port = await freeLoopbackPort();
  const config = [
    "global",
    "    maxconn 4096",
    "defaults",
    "    mode http",
    "    timeout connect 5s",
    "    timeout client 5m",
    "    timeout server 5m",
    "    option forwardfor",
    "frontend sluice",
    `    bind 127.0.0.1:${port}`,
    "    default_backend gateways",
    "backend gateways",
    "    balance roundrobin",
    ...replicas.map((r, i) => `    server replica${i + 1} ${new URL(r.url).host}`),
  ].join("\n");
  const file = path.join(dir, `haproxy-${replicas.length}.cfg`);
  writeFileSync(file, `${config}\n`);
  const child = spawn("haproxy", ["-f", file, "-db"], { stdio: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (
      await fetch(`${url}/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { child, url };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("haproxy did not start");
}

async function loadThrough(url: string, keysDir: string): Promise<{ rps: number; failures: number; p99: number }> {
  const key = readKeyFile(path.join(keysDir, "authority.key.json"));
  const { result } = await signedLoad({
    target: `${url}/participants/authority`,
    key,
    connections,
    seconds,
    presigned: 6_000 * seconds,
  });
  return { rps: result.requests.average, failures: result.non2xx + result.errors, p99: result.latency.p99 };
}

const stop = async (child: ChildProcess, signal: NodeJS.Signals = "SIGTERM") => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill(signal);
  await exited;
};

const dir = mkdtempSync(path.join(tmpdir(), "sluice-bench-replicas-"));
const name = `sluice_bench_${randomBytes(6).toString("hex")}`;
const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
await admin.unsafe(`create database ${name}`);
const url = new URL(serverUrl);
url.pathname = `/${name}`;
const chain = await startEmbeddedChain({ dataDir: path.join(dir, "chain") });
const replicas: Server[] = [];
try {
  const env = {
    BENCH_DATABASE_URL: url.toString(),
    BENCH_CHAIN_RPC_URL: chain.rpcUrl,
    DATA_DIR: path.join(dir, "gateway"),
  };
  replicas.push(await startReplica(env, 0));
  const keysDir = replicas[0]?.keysDir as string;
  const context = { connections, seconds, database: "postgres", pinned: pin, machine };

  const direct = await loadThrough(replicas[0]?.url as string, keysDir);
  report("replicas", "signed_rps_direct", direct.rps, "requests/s", {
    ...context,
    failures: direct.failures,
    note: "one replica, no proxy: the limit",
  });
  for (const count of [1, 2, 3]) {
    while (replicas.length < count) replicas.push(await startReplica(env, replicas.length));
    const proxy = await startProxy(dir, replicas);
    try {
      const load = await loadThrough(proxy.url, keysDir);
      report("replicas", `signed_rps_${count}`, load.rps, "requests/s", {
        ...context,
        replicas: count,
        failures: load.failures,
        p99Ms: load.p99,
        shareOfDirect: Number((load.rps / direct.rps).toFixed(3)),
      });
    } finally {
      await stop(proxy.child);
    }
  }

  const database = await createDb({ url: url.toString(), migrate: false });
  const store = new SharedNonceStore(database.db);
  await store.start();
  try {
    const claims = 4_000;
    const started = performance.now();
    for (let r = 0; r < claims / 16; r++) {
      await Promise.all(
        Array.from({ length: 16 }, (_, j) => store.claim("bench", `replicas-${r}-${j}`, new Date(Date.now() + 60_000))),
      );
    }
    report("replicas", "nonce_claim_us", ((performance.now() - started) * 1000) / claims, "µs", {
      database: "postgres",
      claims,
      machine,
      note: "per claim, 16 claimed at once, the replicas idle",
    });
  } finally {
    await store.stop();
    await database.close();
  }
} finally {
  await Promise.all(replicas.map((r) => stop(r.child)));
  await chain.stop();
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
}
