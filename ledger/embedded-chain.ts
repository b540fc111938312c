import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { type JsonRpcPayload, JsonRpcProvider, type JsonRpcResult } from "ethers";
import { projectRoot } from "../lib/runtime-files.js";
import { LedgerError } from "./errors.js";
import { type ChainJournal, createChainJournal } from "./journal.js";
import { CHAIN_PROVIDER_OPTIONS } from "./provider.js";

/** Hardhat's first default account: a well-known key, fit only for the embedded development chain. */
export const EMBEDDED_CHAIN_PRIVATE_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

export interface EmbeddedChain {
  rpcUrl: string;
  provider: JsonRpcProvider;
  /** Transactions replayed from the journal at start. */
  replayed: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

function startHardhatNode(port: number): Promise<ChildProcess> {
  const runner = path.join(projectRoot, "ledger", "hardhat-node-child.cjs");
  const child = spawn(process.execPath, [runner, "node", "--hostname", "127.0.0.1", "--port", String(port)], {
    cwd: projectRoot,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: "true" },
  });
  const recent: string[] = [];
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      recent.push(text);
      if (recent.length > 20) recent.shift();
      if (text.includes("Started HTTP and WebSocket JSON-RPC server")) resolve(child);
    };
    // Hardhat logs every call; its pipes must keep draining or it would block.
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) =>
      reject(
        new LedgerError(
          "chain_unavailable",
          `the embedded chain exited (${code}) before starting: ${recent.join("").slice(-800)}`,
        ),
      ),
    );
  });
}

/** A JSON-RPC provider that journals every raw transaction and pins its block time, so replay is exact. */
class JournalingProvider extends JsonRpcProvider {
  readonly #journal: ChainJournal;
  #lastTimestamp = 0;

  constructor(url: string, journal: ChainJournal, chainId: number) {
    super(url, chainId, { ...CHAIN_PROVIDER_OPTIONS, staticNetwork: true });
    this.#journal = journal;
  }

  setLastTimestamp(timestamp: number) {
    this.#lastTimestamp = timestamp;
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const calls = Array.isArray(payload) ? payload : [payload];
    const results: JsonRpcResult[] = [];
    for (const call of calls) {
      if (call.method !== "eth_sendRawTransaction") {
        results.push(...(await super._send(call)));
        continue;
      }
      const raw = (call.params as string[])[0] as string;
      const timestamp = Math.max(this.#lastTimestamp + 1, Math.floor(Date.now() / 1000));
      await super._send({ id: 0, jsonrpc: "2.0", method: "evm_setNextBlockTimestamp", params: [timestamp] });
      this.#journal.append({ kind: "sent", raw, timestamp });
      const [result] = await super._send(call);
      this.#lastTimestamp = timestamp;
      if (result && "result" in result) {
        const receipt = (
          await super._send({ id: 0, jsonrpc: "2.0", method: "eth_getTransactionReceipt", params: [result.result] })
        )[0];
        const mined =
          receipt && "result" in receipt ? (receipt.result as { blockNumber: string; blockHash: string } | null) : null;
        if (mined) {
          this.#journal.append({
            kind: "mined",
            hash: result.result as string,
            blockNumber: Number(mined.blockNumber),
            blockHash: mined.blockHash,
          });
        }
      }
      if (result) results.push({ ...result, id: call.id } as JsonRpcResult);
    }
    return results;
  }
}

async function rpc(url: string, method: string, params: unknown[]): Promise<unknown> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new LedgerError("chain_rejected", `${method}: ${body.error.message}`);
  return body.result;
}

/**
 * Starts a Hardhat EVM as a child process and rebuilds its state from the journal in `dataDir`:
 * the same transactions at the same block times give the same addresses, roots and block hashes.
 */
export async function startEmbeddedChain(options: { dataDir: string; chainId?: number }): Promise<EmbeddedChain> {
  const chainId = options.chainId ?? 31337;
  const journal = createChainJournal(path.join(options.dataDir, "journal.jsonl"));
  const port = await freePort();
  const child = await startHardhatNode(port);
  const rpcUrl = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      // Already gone (a signal to the whole process group reaches the chain first): nothing to wait for.
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      // Hardhat exits on SIGTERM; one that does not within 3 s is killed.
      const kill = setTimeout(() => child.kill("SIGKILL"), 3_000);
      child.once("exit", () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill("SIGTERM");
    });

  let replayed = 0;
  let lastTimestamp = 0;
  try {
    const entries = journal.read();
    const expected = new Map(entries.flatMap((e) => (e.kind === "mined" ? [[e.hash, e] as const] : [])));
    for (const entry of entries) {
      if (entry.kind !== "sent") continue;
      await rpc(rpcUrl, "evm_setNextBlockTimestamp", [entry.timestamp]);
      let hash: string;
      try {
        hash = (await rpc(rpcUrl, "eth_sendRawTransaction", [entry.raw])) as string;
      } catch {
        // A transaction journaled but refused when first sent is refused again: nothing to rebuild.
        continue;
      }
      lastTimestamp = entry.timestamp;
      replayed += 1;
      const mined = expected.get(hash);
      if (mined) {
        const receipt = (await rpc(rpcUrl, "eth_getTransactionReceipt", [hash])) as { blockHash: string };
        if (receipt.blockHash !== mined.blockHash) {
          throw new LedgerError(
            "journal_mismatch",
            `replaying ${hash} gave block ${receipt.blockHash}, the journal says ${mined.blockHash}`,
          );
        }
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const provider = new JournalingProvider(rpcUrl, journal, chainId);
  provider.setLastTimestamp(lastTimestamp);
  return {
    rpcUrl,
    provider,
    replayed,
    stop: async () => {
      provider.destroy();
      await stop();
    },
  };
}
