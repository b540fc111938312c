import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import type { JsonRpcProvider } from "ethers";
import { startEmbeddedChain } from "../../ledger/embedded-chain.js";
import { createChainProvider } from "../../ledger/provider.js";
import { testDatabases } from "./databases.js";

export interface TestChain {
  rpcUrl: string;
  provider: JsonRpcProvider;
  stop(): Promise<void>;
}

export interface TestChainKind {
  name: "hardhat" | "anvil";
  /** A fresh chain whose first account is EMBEDDED_CHAIN_PRIVATE_KEY (both use the same test mnemonic). */
  start(): Promise<TestChain>;
}

/** The binary that the platform's package of @foundry-rs/anvil ships (an optional dependency, installed from npm). */
function anvilBinary(): string {
  const require = createRequire(import.meta.url);
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  const manifest = require.resolve(`@foundry-rs/anvil-${process.platform}-${arch}/package.json`);
  return path.join(path.dirname(manifest), "bin", "anvil");
}

/** Foundry's anvil: an EVM implementation of its own (Rust, revm), independent of Hardhat's. */
async function startAnvil(): Promise<TestChain> {
  // Port 0: anvil binds a free port itself and says which, so no other test's chain can take it meanwhile.
  const child: ChildProcess = spawn(anvilBinary(), ["--host", "127.0.0.1", "--port", "0"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const rpcUrl = await new Promise<string>((resolve, reject) => {
    let seen = "";
    const onData = (chunk: Buffer) => {
      seen = (seen + chunk.toString()).slice(-4_000);
      const listening = /Listening on (127\.0\.0\.1:\d+)/.exec(seen);
      if (listening) resolve(`http://${listening[1]}`);
    };
    // anvil logs every call; its pipes keep draining.
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`anvil exited (${code}) before listening: ${seen}`)));
  });
  const provider = createChainProvider(rpcUrl);
  return {
    rpcUrl,
    provider,
    async stop() {
      provider.destroy();
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

async function startHardhat(): Promise<TestChain> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "sluice-chain-"));
  const chain = await startEmbeddedChain({ dataDir });
  return {
    rpcUrl: chain.rpcUrl,
    provider: chain.provider,
    async stop() {
      await chain.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The EVM chains the ledger's JSON-RPC tests run against: Hardhat's node and Foundry's anvil. */
export function testChains(): TestChainKind[] {
  return [
    { name: "hardhat", start: startHardhat },
    { name: "anvil", start: startAnvil },
  ];
}

/** Every chain with every database, for the tests that anchor through both. */
export function testChainsAndDatabases() {
  return testChains().flatMap((chain) =>
    testDatabases().map((database) => ({ chain, database, name: `${chain.name} with ${database.name}` })),
  );
}
