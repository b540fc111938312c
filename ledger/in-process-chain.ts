import { createRequire } from "node:module";
import path from "node:path";
import { type JsonRpcError, type JsonRpcPayload, JsonRpcProvider, type JsonRpcResult } from "ethers";
import { projectRoot } from "../lib/runtime-files.js";

interface Eip1193 {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

/** An ethers provider over an EIP-1193 provider in this process: the same JSON-RPC calls, no HTTP. */
class InProcessProvider extends JsonRpcProvider {
  constructor(
    private readonly chain: Eip1193,
    chainId: number,
  ) {
    super("http://in-process.invalid", chainId, {
      staticNetwork: true,
      batchMaxCount: 1,
      cacheTimeout: -1,
      pollingInterval: 10,
    });
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const calls = Array.isArray(payload) ? payload : [payload];
    const results: JsonRpcResult[] = [];
    for (const call of calls) {
      try {
        const result = await this.chain.request({ method: call.method, params: call.params as unknown[] });
        results.push({ id: call.id, result });
      } catch (error) {
        const { code, message, data } = error as { code?: number; message?: string; data?: unknown };
        // ethers reads an error answer from the same list (its type names results only).
        const answer: JsonRpcError = {
          id: call.id,
          error: { code: code ?? -32603, message: message ?? String(error), data },
        };
        results.push(answer as unknown as JsonRpcResult);
      }
    }
    return results;
  }
}

/**
 * Hardhat's EVM in this process (no child, no HTTP), for tests and benchmarks that measure the
 * ledger without the network in between. Its state lives as long as the provider. Built from
 * Hardhat's own config resolution and provider construction (hardhat is pinned), so it does not
 * load hardhat.config.ts, which needs a TypeScript require hook.
 */
export async function startInProcessChain(
  chainId = 31337,
): Promise<{ provider: JsonRpcProvider; stop(): Promise<void> }> {
  const require = createRequire(import.meta.url);
  const { resolveConfig } = require("hardhat/internal/core/config/config-resolution") as {
    resolveConfig(configPath: string, userConfig: unknown): unknown;
  };
  const { createProvider } = require("hardhat/internal/core/providers/construction") as {
    createProvider(config: unknown, networkName: string): Promise<Eip1193>;
  };
  const config = resolveConfig(path.join(projectRoot, "hardhat.config.ts"), { networks: { hardhat: { chainId } } });
  const provider = new InProcessProvider(await createProvider(config, "hardhat"), chainId);
  return { provider, stop: async () => provider.destroy() };
}
