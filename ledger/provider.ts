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

/** Gas settings sent with every Sluice transaction (a permissioned chain often runs with free gas). */
export interface TransactionOverrides {
  /** A legacy (type 0) gas price in wei; 0 on a free-gas network. Unset: the chain's fee market. */
  gasPrice?: bigint;
  /** A fixed gas limit; unset: estimated per transaction. */
  gasLimit?: bigint;
  type?: number;
}

/** The overrides for a gas price and limit as configured (either may be absent). */
export function transactionOverrides(settings: { gasPriceWei?: bigint; gasLimit?: bigint }): TransactionOverrides {
  return {
    ...(settings.gasPriceWei !== undefined ? { gasPrice: settings.gasPriceWei, type: 0 } : {}),
    ...(settings.gasLimit !== undefined ? { gasLimit: settings.gasLimit } : {}),
  };
}
