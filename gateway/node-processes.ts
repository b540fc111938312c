import { type ChildProcess, spawn } from "node:child_process";
import { type AddressInfo, createServer } from "node:net";
import { createInterface } from "node:readline";
import { computeNodeCommand } from "../lib/runtime-files.js";

/** A free port on loopback, for a node about to start there (its peers pin the address beforehand). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export interface NodeProcess {
  nodeId: string;
  url: string;
  publicKey: string;
  /** The node's X25519 public key, to which peers seal their shares. */
  encryptionKey: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a compute node (an owner's or a helper) as its own process and resolves once it says where it listens. */
export function spawnComputeNode(
  configFile: string,
  options: { onLog?: (line: string) => void } = {},
): Promise<NodeProcess> {
  const child = spawn(process.execPath, [...computeNodeCommand(), configFile], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      // A node closes its server within 2 s of SIGTERM; one that has not exited after 4 s is killed.
      const kill = setTimeout(() => child.kill("SIGKILL"), 4_000);
      child.once("exit", () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill("SIGTERM");
    });
  return new Promise((resolve, reject) => {
    const errors: string[] = [];
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (line) => {
      errors.push(line);
      options.onLog?.(line);
    });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      options.onLog?.(line);
      try {
        const event = JSON.parse(line) as {
          event?: string;
          nodeId?: string;
          url?: string;
          publicKey?: string;
          encryptionKey?: string;
        };
        if (event.event === "listening" && event.url && event.nodeId && event.publicKey && event.encryptionKey) {
          const { nodeId, url, publicKey, encryptionKey } = event;
          resolve({ nodeId, url, publicKey, encryptionKey, child, stop });
        }
      } catch {}
    });
    child.once("exit", (code) =>
      reject(new Error(`compute node ${configFile} exited (${code}): ${errors.slice(-5).join(" | ")}`)),
    );
  });
}
