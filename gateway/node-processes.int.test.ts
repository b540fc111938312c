import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateEd25519KeyPair } from "../lib/ed25519.js";
import { type NodeProcess, spawnComputeNode } from "./node-processes.js";

describe("a compute node as its own process", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "sluice-node-"));
  let node: NodeProcess | undefined;
  afterAll(async () => {
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("says where it listens whatever the log level, and answers its health check", async () => {
    const key = generateEd25519KeyPair();
    writeFileSync(path.join(dir, "node.pem"), key.privateKeyPem);
    writeFileSync(path.join(dir, "data.csv"), "id,amount\na,1\nb,2\n");
    const config = {
      nodeId: "node_test",
      ownerId: "owner_test",
      keyFile: "node.pem",
      gatewayPublicKey: generateEd25519KeyPair().publicKey,
      ownerPublicKeys: [generateEd25519KeyPair().publicKey],
      peers: [],
      datasets: [{ id: "ds_test", file: "data.csv", columns: [{ name: "amount", type: "integer", level: 2 }] }],
    };
    writeFileSync(path.join(dir, "node.json"), JSON.stringify(config));
    const level = process.env.SLUICE_LOG_LEVEL;
    process.env.SLUICE_LOG_LEVEL = "silent";
    try {
      node = await spawnComputeNode(path.join(dir, "node.json"));
    } finally {
      if (level === undefined) delete process.env.SLUICE_LOG_LEVEL;
      else process.env.SLUICE_LOG_LEVEL = level;
    }
    expect(node.publicKey).toBe(key.publicKey);
    const health = (await (await fetch(`${node.url}/health`)).json()) as {
      nodeId: string;
      datasets: { id: string; columns: { name: string }[] }[];
    };
    // A live source is read per job, not at start: health names the datasets and their registered columns.
    expect(health).toMatchObject({ nodeId: "node_test", datasets: [{ id: "ds_test", columns: [{ name: "amount" }] }] });
  });

  it("refuses a configuration without the owner's keys", async () => {
    writeFileSync(
      path.join(dir, "bad.json"),
      JSON.stringify({
        nodeId: "n",
        ownerId: "o",
        keyFile: "node.pem",
        gatewayPublicKey: "x",
        peers: [],
        datasets: [],
      }),
    );
    await expect(spawnComputeNode(path.join(dir, "bad.json"))).rejects.toThrow(/exited \(2\).*owner's public keys/);
  });

  it("refuses a configuration that pins no peers, or pins one without both keys and an address", async () => {
    const base = {
      nodeId: "n",
      ownerId: "o",
      keyFile: "node.pem",
      gatewayPublicKey: generateEd25519KeyPair().publicKey,
      ownerPublicKeys: [generateEd25519KeyPair().publicKey],
      datasets: [{ id: "ds_test", file: "data.csv", columns: [{ name: "amount", type: "integer", level: 2 }] }],
    };
    writeFileSync(path.join(dir, "unpinned.json"), JSON.stringify(base));
    await expect(spawnComputeNode(path.join(dir, "unpinned.json"))).rejects.toThrow(/exited \(2\).*peers/);
    const half = { nodeId: "node_b", publicKey: generateEd25519KeyPair().publicKey, url: "http://127.0.0.1:1" };
    writeFileSync(path.join(dir, "half.json"), JSON.stringify({ ...base, peers: [half] }));
    await expect(spawnComputeNode(path.join(dir, "half.json"))).rejects.toThrow(
      /exited \(2\).*peers\.0\.encryptionKey/,
    );
  });
});
