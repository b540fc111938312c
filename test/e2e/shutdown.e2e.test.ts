import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { freeLoopbackPort } from "../../gateway/node-processes.js";

const root = path.resolve(import.meta.dirname, "../..");
const tsx = path.join(root, "node_modules", "tsx", "dist", "cli.mjs");

/** Whether any process of the group is still alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `npm start` as a process group of its own: the gateway, its three compute nodes and the embedded chain. */
async function startPlatformGroup() {
  const port = await freeLoopbackPort();
  const child = spawn(process.execPath, [tsx, "gateway/server.ts"], {
    cwd: root,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, SLUICE_DATA_DIR: mkdtempSync(path.join(tmpdir(), "sluice-stop-")), PORT: String(port) },
  });
  const output: string[] = [];
  createInterface({ input: child.stderr }).on("line", (line) => output.push(line));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start in 120 s:\n${output.join("\n")}`)), 120_000);
    createInterface({ input: child.stdout }).on("line", (line) => {
      output.push(line);
      if (line.includes("Sluice is running")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => reject(new Error(`exited with ${code} before it started:\n${output.join("\n")}`)));
  });
  return { pgid: child.pid as number, port, output };
}

/** Clients a shutdown must not wait for: an idle keep-alive connection and a request never finished. */
async function holdConnections(port: number): Promise<Socket[]> {
  const open = (request: string) =>
    new Promise<Socket>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => {
        socket.write(request);
        setTimeout(() => resolve(socket), 100);
      });
      socket.on("error", () => {});
      socket.on("data", () => {});
    });
  return [
    await open("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
    await open("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"),
  ];
}

describe("stopping the platform", () => {
  it.each([
    "SIGTERM",
    "SIGINT",
  ] as const)("ends the gateway, its compute nodes and its chain within 10 s of %s to the process group", async (signal) => {
    const { pgid, port, output } = await startPlatformGroup();
    const sockets = await holdConnections(port);
    const sent = Date.now();
    process.kill(-pgid, signal);
    while (groupAlive(pgid) && Date.now() - sent < 20_000) await new Promise((r) => setTimeout(r, 100));
    const stoppedAfterMs = Date.now() - sent;
    if (groupAlive(pgid)) process.kill(-pgid, "SIGKILL");
    for (const socket of sockets) socket.destroy();
    expect(stoppedAfterMs, output.slice(-20).join("\n")).toBeLessThan(10_000);
    expect(output.join("\n")).not.toMatch(/not stopped after/);
  }, 180_000);
});
