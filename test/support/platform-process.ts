import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";

const root = path.resolve(import.meta.dirname, "..", "..");

/**
 * Compiles the gateway, node and workers as `npm start` does (scripts/build-server.mjs), into a
 * folder of this test's own inside dist/, so that the bundles find the project's packages and no
 * other test's bundles are rewritten under it. Returns the folder and a function that removes it.
 */
export function buildServerBundles(): { outdir: string; remove(): void } {
  mkdirSync(path.join(root, "dist"), { recursive: true });
  const outdir = mkdtempSync(path.join(root, "dist", "test-server-"));
  execFileSync(process.execPath, [path.join(root, "scripts", "build-server.mjs"), outdir], { cwd: root });
  return { outdir, remove: () => rmSync(outdir, { recursive: true, force: true }) };
}

export interface PlatformProcess {
  /** The process group: the gateway, its compute nodes and its embedded chain. */
  pgid: number;
  url: string;
  dataDir: string;
  output: string[];
}

/** The compiled gateway (`npm start`) as a process group of its own, on embedded defaults with the demo; resolves once it says it runs. */
export async function startPlatformProcess(outdir: string): Promise<PlatformProcess> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "sluice-process-"));
  const child = spawn(process.execPath, [path.join(outdir, "gateway.mjs")], {
    cwd: root,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    // Port 0: the gateway takes a free port itself and says which, so no other process can take it first.
    env: { ...process.env, SLUICE_DATA_DIR: dataDir, PORT: "0", SLUICE_ANCHOR_INTERVAL_MS: "200" },
  });
  const output: string[] = [];
  createInterface({ input: child.stderr }).on("line", (line) => output.push(line));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start in 120 s:\n${output.join("\n")}`)), 120_000);
    createInterface({ input: child.stdout }).on("line", (line) => {
      output.push(line);
      const running = /Sluice is running at (http:\/\/\S+)/.exec(line);
      if (running) {
        clearTimeout(timer);
        resolve(running[1] as string);
      }
    });
    child.once("exit", (code) => reject(new Error(`exited with ${code} before it started:\n${output.join("\n")}`)));
  });
  return { pgid: child.pid as number, url, dataDir, output };
}

/** Whether any process of the group is still alive. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The command lines of the group's processes. */
export function groupCommands(pgid: number): string[] {
  return execFileSync("ps", ["-e", "-o", "pgid=,args="], { encoding: "utf8" })
    .split("\n")
    .map((line) => /^\s*(\d+)\s+(.*)$/.exec(line))
    .filter((match) => match !== null && Number(match[1]) === pgid)
    .map((match) => match?.[2] as string);
}

/** Clients a shutdown must not wait for: an idle keep-alive connection and a request never finished. */
export async function holdConnections(url: string): Promise<Socket[]> {
  const port = Number(new URL(url).port);
  const open = (request: string) =>
    new Promise<Socket>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => {
        socket.write(request);
        setTimeout(() => resolve(socket), 100);
      });
      socket.on("error", () => resolve(socket));
      socket.on("data", () => {});
    });
  return [
    await open("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
    await open("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"),
  ];
}

/**
 * Sends `signal` to the platform's process group while two connections are held open, and
 * resolves to how long the group took to end (killed after 20 s), its data folder removed.
 */
export async function stopPlatformProcess(platform: PlatformProcess, signal: NodeJS.Signals): Promise<number> {
  const sockets = await holdConnections(platform.url);
  const sent = Date.now();
  process.kill(-platform.pgid, signal);
  while (groupAlive(platform.pgid) && Date.now() - sent < 20_000) await new Promise((r) => setTimeout(r, 100));
  const stoppedAfterMs = Date.now() - sent;
  if (groupAlive(platform.pgid)) process.kill(-platform.pgid, "SIGKILL");
  for (const socket of sockets) socket.destroy();
  rmSync(platform.dataDir, { recursive: true, force: true });
  return stoppedAfterMs;
}
