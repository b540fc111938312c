import { type JsonRpcApiProviderOptions, JsonRpcProvider } from "ethers";

/**
 * One request per HTTP call (ethers' batching adds a 10 ms stall per call) and no response cache:
 * a cached nonce read would make the next transaction reuse a nonce.
 */
export const CHAIN_PROVIDER_OPTIONS: JsonRpcApiProviderOptions = {
  batchMaxCount: 1,
  cacheTimeout: -1,
  pollingInterval: 100,
};

/** A provider for an external EVM chain over JSON-RPC (CHAIN_RPC_URL). */
export function createChainProvider(rpcUrl: string): JsonRpcProvider {
  return new JsonRpcProvider(rpcUrl, undefined, CHAIN_PROVIDER_OPTIONS);
}
