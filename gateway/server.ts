import path from "node:path";
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
  limits: {
    maxBodyBytes: intFromEnv("SLUICE_MAX_BODY_BYTES", 1024 * 1024),
    nodeTimeoutMs: intFromEnv("SLUICE_NODE_TIMEOUT_MS", 30_000),
    rateLimitPerMinute: intFromEnv("SLUICE_RATE_LIMIT_PER_MINUTE", 600),
    maxConcurrentJobs: intFromEnv("SLUICE_MAX_CONCURRENT_JOBS", 4),
    maxClockSkewSeconds: intFromEnv("SLUICE_MAX_CLOCK_SKEW_S", 300),
  },
}).catch((error: unknown) => {
  console.error(JSON.stringify({ level: "fatal", msg: "sluice could not start", error: String(error) }));
  process.exit(1);
});

console.log(`\nSluice is running at ${platform.url}  (health: ${platform.url}/health)`);
console.log(`Participant keys for the demo are in ${platform.keysDir}; see README.md to run a first query.\n`);

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  await platform.stop();
  process.exit(0);
}
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
