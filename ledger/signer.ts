import { type JsonRpcProvider, NonceManager, Wallet } from "ethers";

const signers = new WeakMap<JsonRpcProvider, Map<string, NonceManager>>();

/**
 * The one nonce-keeping signer for an account on a provider. Every Sluice contract client sends
 * from the same account; separate nonce managers would each count from the nonce they first read
 * and collide as soon as two clients had both sent.
 */
export function chainSigner(provider: JsonRpcProvider, privateKey: string): NonceManager {
  let byKey = signers.get(provider);
  if (!byKey) {
    byKey = new Map();
    signers.set(provider, byKey);
  }
  let signer = byKey.get(privateKey);
  if (!signer) {
    signer = new NonceManager(new Wallet(privateKey, provider));
    byKey.set(privateKey, signer);
  }
  return signer;
}

/** Runs a send; when it fails, the next send reads the account's nonce from the chain again (a lost send keeps no gap). */
export async function sending<T>(signer: NonceManager, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    signer.reset();
    throw error;
  }
}
