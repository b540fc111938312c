import { execFile, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DEMO_OPERATOR_ID } from "../gateway/demo.js";
import { startPlatform } from "../gateway/platform.js";
import { createLogger } from "../lib/logger.js";
import { report } from "./report.js";

// How long a `sluice` call takes from the shell's point of view (issue 22): `sluice --version` and
// `sluice scenarios` (a signed request to a running platform) through sdk/bin/sluice.mjs, compiled
// (dist/cli, `npm run build:cli`) and, for comparison, from the TypeScript sources through tsx; the
// limit beside them is Node.js itself starting and exiting, measured in the same run. Median of
// BENCH_CLI_RUNS calls each (default 15), after one warm-up. Then the demo tax bureau's compute
// node starting (until it says where it listens), compiled (dist/server, `npm run build:server`)
// and through tsx: what each node `npm start` spawns costs.
const runs = Number(process.env.BENCH_CLI_RUNS ?? 15);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = path.join(root, "sdk", "bin", "sluice.mjs");
const machine = { cpus: cpus().length, cpu: cpus()[0]?.model.split(" ").slice(0, 2).join(" ") };

execFileSync("npm", ["run", "--silent", "build:cli"], { cwd: root, stdio: "inherit" });
execFileSync("npm", ["run", "--silent", "build:server"], { cwd: root, stdio: "inherit" });

const run = promisify(execFile);

// Asynchronously: the platform answering `sluice scenarios` runs in this process.
async function medianMs(args: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const started = performance.now();
    await run(process.execPath, args, { env: { ...process.env, ...env } });
    if (i > 0) times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)] as number;
}

const dataDir = mkdtempSync(path.join(tmpdir(), "sluice-bench-cli-"));
const platform = await startPlatform({
  dataDir,
  host: "127.0.0.1",
  port: 0,
  demo: true,
  anchorIntervalMs: 60_000,
  anchorMaxBatch: 256,
  logger: createLogger({ service: "gateway", level: "silent" }),
});
try {
  const asBank = {
    SLUICE_URL: platform.url,
    SLUICE_KEY_FILE: path.join(platform.keysDir, `${DEMO_OPERATOR_ID}.key.json`),
  };
  const nodeAlone = await medianMs(["-e", ""]);
  const tsxCli = ["--import", "tsx", path.join(root, "sdk", "cli.ts")];
  const figures = {
    version: await medianMs([bin, "--version"]),
    scenarios: await medianMs([bin, "scenarios"], asBank),
    versionTsx: await medianMs([...tsxCli, "--version"]),
    scenariosTsx: await medianMs([...tsxCli, "scenarios"], asBank),
  };
  const context = { runs, machine, node: process.version, nodeStartupMs: Number(nodeAlone.toFixed(1)) };
  report("cli", "node_startup_ms", nodeAlone, "ms", { ...context, note: "node -e '': the floor of any call" });
  report("cli", "cli_version_ms", figures.version, "ms", {
    ...context,
    target: "< 150",
    aboveNodeStartupMs: Number((figures.version - nodeAlone).toFixed(1)),
  });
  report("cli", "cli_scenarios_ms", figures.scenarios, "ms", {
    ...context,
    target: "< 300",
    aboveNodeStartupMs: Number((figures.scenarios - nodeAlone).toFixed(1)),
    note: "a signed GET /scenarios to the demo platform on loopback, its answer printed",
  });
  report("cli", "cli_version_tsx_ms", figures.versionTsx, "ms", {
    ...context,
    note: "the same from the sources through tsx",
  });
  report("cli", "cli_scenarios_tsx_ms", figures.scenariosTsx, "ms", {
    ...context,
    note: "the same from the sources through tsx",
  });
} finally {
  await platform.stop();
}

/** Median time from spawning a compute node to its "listening" line, stopped after each start. */
async function nodeStartMs(command: string[], configFile: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i <= Math.min(runs, 7); i++) {
    const started = performance.now();
    const child = spawn(process.execPath, [...command, configFile], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`the node exited (${code}) before it listened`)));
      createInterface({ input: child.stdout }).on("line", (line) => {
        if (line.includes('"event":"listening"')) resolve();
      });
    });
    if (i > 0) times.push(performance.now() - started);
    await new Promise<void>((resolve) => {
      child.removeAllListeners("exit");
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)] as number;
}

try {
  // The platform has stopped: the tax bureau's node configuration and port are free again.
  const taxNode = path.join(dataDir, "nodes", "tax", "node.json");
  const compiledNode = await nodeStartMs([path.join(root, "dist", "server", "node.mjs")], taxNode);
  const tsxNode = await nodeStartMs(["--import", "tsx", path.join(root, "compute", "node", "main.ts")], taxNode);
  const context = { runs: Math.min(runs, 7), machine, node: process.version };
  report("cli", "node_start_ms", compiledNode, "ms", {
    ...context,
    note: "the demo tax bureau's compute node, compiled (dist/server/node.mjs), spawned until it listens",
  });
  report("cli", "node_start_tsx_ms", tsxNode, "ms", { ...context, note: "the same from the sources through tsx" });
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
