import { type ChildProcess, spawn } from "node:child_process";
import { generateKeyPairSync, sign, verify } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { readKeyFile } from "../lib/key-file.js";
import { report } from "./report.js";
import { signedLoad } from "./support/signed-load.js";

// Signed, authorised reads per second through the real gateway, beside a bare Hono route and beside
// how many Ed25519 signatures node:crypto alone verifies per second, all in one run. The servers run
// in their own processes; this process generates the load (and signs each request with a fresh nonce).
const here = path.dirname(fileURLToPath(import.meta.url));
const seconds = Number(process.env.BENCH_GATEWAY_SECONDS ?? 10);
const connections = Number(process.env.BENCH_GATEWAY_CONNECTIONS ?? 16);
const presigned = Number(process.env.BENCH_GATEWAY_PRESIGNED ?? 6_000 * seconds);

function startServer(
  script: string,
  args: string[] = [],
): Promise<{ child: ChildProcess; url: string; keysDir?: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(here, "support", script), ...args], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      try {
        const event = JSON.parse(line) as { event?: string; url: string; keysDir?: string };
        if (event.event === "listening") resolve({ child, url: event.url, keysDir: event.keysDir });
      } catch {}
    });
    child.once("exit", (code) => reject(new Error(`${script} exited (${code})`)));
  });
}

function nativeVerifiesPerSecond(): number {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const message = Buffer.from('"@method": GET\n"@path": /participants/authority\n"@query": ?');
  const signature = sign(null, message, privateKey);
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < 2_000) {
    for (let i = 0; i < 100; i++) verify(null, message, publicKey, signature);
    count += 100;
  }
  return count / ((performance.now() - started) / 1000);
}

// Measured first, while nothing else runs, so it is the machine's real ceiling.
const verifies = nativeVerifiesPerSecond();
const dataDir = mkdtempSync(path.join(tmpdir(), "sluice-bench-gw-"));
const gateway = await startServer("gateway-server.ts", [dataDir]);
const bare = await startServer("bare-server.ts");
try {
  const authority = readKeyFile(path.join(gateway.keysDir as string, "authority.key.json"));
  const target = `${gateway.url}/participants/authority`;

  const bareResult = await autocannon({ url: `${bare.url}/bare`, connections, duration: seconds });
  const { result: signedResult, presignedLeft } = await signedLoad({
    target,
    key: authority,
    connections,
    seconds,
    presigned,
  });
  const failures = signedResult.non2xx + signedResult.errors;
  const limit = Math.min(bareResult.requests.average, verifies);
  const context = {
    connections,
    seconds,
    database: process.env.BENCH_DATABASE_URL ? "postgres" : "pglite",
    presignedLeft,
  };
  report("gateway", "bare_rps", bareResult.requests.average, "requests/s", context);
  report("gateway", "native_verify_per_s", verifies, "verifications/s", { note: "node:crypto Ed25519, one core" });
  report("gateway", "signed_rps", signedResult.requests.average, "requests/s", {
    ...context,
    failures,
    shareOfLimit: Number((signedResult.requests.average / limit).toFixed(3)),
  });
  report("gateway", "signed_p99_ms", signedResult.latency.p99, "ms", context);
} finally {
  gateway.child.kill("SIGTERM");
  bare.child.kill("SIGTERM");
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  rmSync(dataDir, { recursive: true, force: true });
}
