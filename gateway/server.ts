import path from "node:path";
import { isTimeZone } from "../lib/time-zone.js";
import { startPlatform } from "./platform.js";

// The one place that reads the environment. Every variable is documented in README.md.
function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return value;
}

function bigintFromEnv(name: string): bigint | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return undefined;
  if (!/^[0-9]+$/.test(raw)) {
    console.error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return BigInt(raw);
}

function originFromEnv(name: string): string | undefined {
  const raw = process.env[name];
  if (!raw) return undefined;
  const origin = URL.canParse(raw) ? new URL(raw).origin : "null";
  if (origin === "null" || origin !== raw.replace(/\/$/, "")) {
    console.error(`${name} must be an origin such as https://sluice.example.gov.cn, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return origin;
}

const timeZone = process.env.SLUICE_TIME_ZONE;
if (timeZone && !isTimeZone(timeZone)) {
  console.error(`SLUICE_TIME_ZONE must be an IANA time zone such as Asia/Shanghai, got ${JSON.stringify(timeZone)}`);
  process.exit(2);
}

const platform = await startPlatform({
  dataDir: path.resolve(process.env.SLUICE_DATA_DIR || ".sluice"),
  host: process.env.HOST || "127.0.0.1",
  port: intFromEnv("PORT", 8787),
  databaseUrl: process.env.DATABASE_URL || undefined,
  chainRpcUrl: process.env.CHAIN_RPC_URL || undefined,
  chainPrivateKey: process.env.SLUICE_CHAIN_PRIVATE_KEY || undefined,
  demo: process.env.SLUICE_DEMO !== "0",
  anchorIntervalMs: intFromEnv("SLUICE_ANCHOR_INTERVAL_MS", 5_000),
  anchorMaxBatch: intFromEnv("SLUICE_ANCHOR_MAX_BATCH", 256),
  anchorMaxWaitMs: intFromEnv("SLUICE_ANCHOR_MAX_WAIT_MS", 0),
  anchorMaxBackoffMs: intFromEnv("SLUICE_ANCHOR_MAX_BACKOFF_MS", 60_000),
  anchorLeaseMs: intFromEnv("SLUICE_ANCHOR_LEASE_MS", 6_000),
  chain: {
    confirmations: intFromEnv("SLUICE_CHAIN_CONFIRMATIONS", 1),
    finalityBlocks: intFromEnv("SLUICE_CHAIN_FINALITY_BLOCKS", 0),
    gasPriceWei: bigintFromEnv("SLUICE_CHAIN_GAS_PRICE_WEI"),
    gasLimit: bigintFromEnv("SLUICE_CHAIN_GAS_LIMIT"),
  },
  publicOrigin: originFromEnv("SLUICE_PUBLIC_ORIGIN"),
  publicRpcUrl: process.env.SLUICE_PUBLIC_RPC_URL || undefined,
  gatewayKeyFile: process.env.SLUICE_GATEWAY_KEY_FILE ? path.resolve(process.env.SLUICE_GATEWAY_KEY_FILE) : undefined,
  limits: {
    maxBodyBytes: intFromEnv("SLUICE_MAX_BODY_BYTES", 1024 * 1024),
    nodeTimeoutMs: intFromEnv("SLUICE_NODE_TIMEOUT_MS", 30_000),
    rateLimitPerMinute: intFromEnv("SLUICE_RATE_LIMIT_PER_MINUTE", 600),
    authFailuresPerMinute: intFromEnv("SLUICE_AUTH_FAILURES_PER_MINUTE", 120),
    maxConcurrentJobs: intFromEnv("SLUICE_MAX_CONCURRENT_JOBS", 4),
    maxClockSkewSeconds: intFromEnv("SLUICE_MAX_CLOCK_SKEW_S", 300),
    psiWindowMs: intFromEnv("SLUICE_PSI_WINDOW_S", 900) * 1000,
  },
}).catch((error: unknown) => {
  console.error(JSON.stringify({ level: "fatal", msg: "sluice could not start", error: String(error) }));
  process.exit(1);
});

console.log(`\nSluice is running at ${platform.url}  (health: ${platform.url}/health)`);
console.log(`Participant keys for the demo are in ${platform.keysDir}; see README.md to run a first query.`);
console.log(`Web console for owners, regulators and operators: ${platform.url}/console\n`);

// SIGTERM or SIGINT stops the platform (the server, the anchoring worker, the nodes and the chain)
// within STOP_DEADLINE_MS, or the process exits anyway; a second signal exits at once.
const STOP_DEADLINE_MS = 8_000;
let stopping = false;
function shutdown(signal: NodeJS.Signals) {
  if (stopping) {
    console.error(JSON.stringify({ level: "warn", msg: `second ${signal}: exiting without waiting` }));
    process.exit(1);
  }
  stopping = true;
  const deadline = setTimeout(() => {
    console.error(JSON.stringify({ level: "error", msg: `not stopped after ${STOP_DEADLINE_MS} ms: exiting` }));
    process.exit(1);
  }, STOP_DEADLINE_MS);
  deadline.unref();
  platform.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
}
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
