import { startPlatform } from "../../gateway/platform.js";
import { createLogger } from "../../lib/logger.js";

// The real gateway (PGlite, embedded chain, no demo), for the gateway benchmark to load from outside.
const dataDir = process.argv[2];
if (!dataDir) throw new Error("usage: gateway-server.ts <data dir>");
const platform = await startPlatform({
  dataDir,
  host: "127.0.0.1",
  port: 0,
  demo: false,
  databaseUrl: process.env.BENCH_DATABASE_URL || undefined,
  anchorIntervalMs: 60_000,
  anchorMaxBatch: 256,
  limits: { rateLimitPerMinute: 0 },
  logger: createLogger({ service: "gateway", level: "silent" }),
});
console.log(JSON.stringify({ event: "listening", url: platform.url, keysDir: platform.keysDir }));
process.on("SIGTERM", () => void platform.stop().then(() => process.exit(0)));
