import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DEMO_OPERATOR_ID } from "../gateway/demo.js";
import { startPlatform } from "../gateway/platform.js";
import { createLogger } from "../lib/logger.js";
import { createClient } from "../sdk/index.js";
import { percentile, report } from "./report.js";

// The walking-skeleton path end to end: a signed request, the three-tier decision, a secure sum across
// two owner node processes, and the job, quota and usage record committed together.
const jobs = Number(process.env.BENCH_E2E_JOBS ?? 200);
const concurrency = Number(process.env.BENCH_E2E_CONCURRENCY ?? 8);
const dataDir = mkdtempSync(path.join(tmpdir(), "sluice-bench-"));
const platform = await startPlatform({
  dataDir,
  host: "127.0.0.1",
  port: 0,
  demo: true,
  anchorIntervalMs: 1_000,
  anchorMaxBatch: 256,
  // The benchmark measures the job path, not the per-participant limits.
  limits: { rateLimitPerMinute: 0, maxConcurrentJobs: 0 },
  logger: createLogger({ service: "gateway", level: "silent" }),
});

try {
  const bank = createClient({
    url: platform.url,
    keyFile: path.join(platform.keysDir, `${DEMO_OPERATOR_ID}.key.json`),
  });
  const [scenario] = (await bank.listScenarios()).scenarios;
  if (!scenario) throw new Error("the demo scenario is missing");
  const query = {
    scenarioId: scenario.id,
    queryShape: "sum",
    fields: ["ds_enterprise_tax.wages_fen", "ds_social_insurance.wages_fen"],
    // Wages are level 2: released with noise (410 jobs at ε 0.2 fit the demo's budget of 100).
    epsilon: 0.2,
    bounds: { min: 0, max: 15_000_000_000 },
  };
  for (let i = 0; i < 10; i++) await bank.runJob(query);

  const latencies: number[] = [];
  for (let i = 0; i < jobs; i++) {
    const start = performance.now();
    await bank.runJob(query);
    latencies.push(performance.now() - start);
  }
  latencies.sort((a, b) => a - b);
  report("e2e", "p50_ms", percentile(latencies, 50), "ms", { jobs, concurrency: 1 });
  report("e2e", "p95_ms", percentile(latencies, 95), "ms", { jobs, concurrency: 1 });

  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < jobs) {
        next += 1;
        await bank.runJob(query);
      }
    }),
  );
  report("e2e", "jobs_per_s", jobs / ((performance.now() - started) / 1000), "jobs/s", { jobs, concurrency });
} finally {
  await platform.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
