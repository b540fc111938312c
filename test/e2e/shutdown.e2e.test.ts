import { rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildServerBundles, groupAlive, startPlatformProcess } from "../support/platform-process.js";

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
  let bundles: ReturnType<typeof buildServerBundles>;
  beforeAll(() => {
    bundles = buildServerBundles();
  }, 60_000);
  afterAll(() => bundles?.remove());

  it.each([
    "SIGTERM",
    "SIGINT",
  ] as const)("ends the gateway, its compute nodes and its chain within 10 s of %s to the process group", async (signal) => {
    const { pgid, url, dataDir, output } = await startPlatformProcess(bundles.outdir);
    const sockets = await holdConnections(Number(new URL(url).port));
    const sent = Date.now();
    process.kill(-pgid, signal);
    while (groupAlive(pgid) && Date.now() - sent < 20_000) await new Promise((r) => setTimeout(r, 100));
    const stoppedAfterMs = Date.now() - sent;
    if (groupAlive(pgid)) process.kill(-pgid, "SIGKILL");
    for (const socket of sockets) socket.destroy();
    expect(stoppedAfterMs, output.slice(-20).join("\n")).toBeLessThan(10_000);
    expect(output.join("\n")).not.toMatch(/not stopped after/);
    rmSync(dataDir, { recursive: true, force: true });
  }, 180_000);
});
