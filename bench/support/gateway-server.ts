import { startPlatform } from "../../gateway/platform.js";
import { EMBEDDED_CHAIN_PRIVATE_KEY } from "../../ledger/index.js";
import { createLogger } from "../../lib/logger.js";

// The real gateway (PGlite or BENCH_DATABASE_URL, its embedded chain or BENCH_CHAIN_RPC_URL, no
// demo), for the gateway and replicas benchmarks to load from outside.
const dataDir = process.argv[2];
if (!dataDir) throw new Error("usage: gateway-server.ts <data dir>");
const platform = await startPlatform({
  dataDir,
  host: "127.0.0.1",
  port: 0,
  demo: false,
  databaseUrl: process.env.BENCH_DATABASE_URL || undefined,
  chainRpcUrl: process.env.BENCH_CHAIN_RPC_URL || undefined,
  chainPrivateKey: process.env.BENCH_CHAIN_RPC_URL ? EMBEDDED_CHAIN_PRIVATE_KEY : undefined,
  anchorIntervalMs: 60_000,
  anchorMaxBatch: 256,
  limits: { rateLimitPerMinute: Number(process.env.BENCH_RATE_LIMIT_PER_MINUTE ?? 0) },
  logger: createLogger({ service: "gateway", level: "silent" }),
});
console.log(JSON.stringify({ event: "listening", url: platform.url, keysDir: platform.keysDir }));
process.on("SIGTERM", () => void platform.stop().then(() => process.exit(0)));
