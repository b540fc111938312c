import { keccak_256 } from "@noble/hashes/sha3.js";
import type { JsonRpcProvider, NonceManager, TransactionReceipt, Wallet } from "ethers";
import { LedgerError } from "./errors.js";
import type { TransactionOverrides } from "./provider.js";
import { receiptOf } from "./receipt.js";

// A transaction with large calldata (an anchored batch's leaves: 131 KB at 4,096 records), signed
// and sent without ethers' Transaction object, whose hex-string handling costs ~400 ms for such a
// payload (its byte conversion, RLP and re-parsing after the send), against ~10 ms for the chain to
// take it. The encoding is the same: RLP (Ethereum Yellow Paper, appendix B) of an EIP-1559
// (type 2) or, with a fixed gas price, an EIP-155 legacy transaction, signed with the wallet's own
// secp256k1 key (ethers' SigningKey) over keccak-256. The tests check each byte against ethers.

type RlpItem = Uint8Array | RlpItem[];

const uintBytes = (value: bigint): Buffer => {
  if (value < 0n) throw new LedgerError("invalid_transaction", `${value} is negative`);
  if (value === 0n) return Buffer.alloc(0);
  const hex = value.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex");
};

function lengthPrefix(length: number, offset: number): Buffer {
  if (length <= 55) return Buffer.from([offset + length]);
  const bytes = uintBytes(BigInt(length));
  return Buffer.concat([Buffer.from([offset + 55 + bytes.length]), bytes]);
}

/** RLP: a byte string, or a list of items. */
export function encodeRlp(item: RlpItem): Buffer {
  if (item instanceof Uint8Array) {
    if (item.length === 1 && (item[0] as number) < 0x80) return Buffer.from(item);
    return Buffer.concat([lengthPrefix(item.length, 0x80), item]);
  }
  const body = Buffer.concat(item.map(encodeRlp));
  return Buffer.concat([lengthPrefix(body.length, 0xc0), body]);
}

export interface CallFields {
  chainId: bigint;
  nonce: number;
  to: string;
  data: Buffer;
  gasLimit: bigint;
  /** EIP-1559 fees; without them, a legacy transaction at `gasPrice`. */
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
  gasPrice?: bigint;
}

const address = (to: string) => {
  if (!/^0x[0-9a-fA-F]{40}$/.test(to)) throw new LedgerError("invalid_transaction", `${to} is not an address`);
  return Buffer.from(to.slice(2), "hex");
};

/** The signed transaction's bytes, as eth_sendRawTransaction takes them. */
export function signCall(wallet: Pick<Wallet, "signingKey">, fields: CallFields): Buffer {
  const nonce = uintBytes(BigInt(fields.nonce));
  const gas = uintBytes(fields.gasLimit);
  const to = address(fields.to);
  const value = Buffer.alloc(0);
  const sign = (payload: Buffer) => wallet.signingKey.sign(keccak_256(payload));
  if (fields.maxFeePerGas !== undefined) {
    const unsigned: RlpItem[] = [
      uintBytes(fields.chainId),
      nonce,
      uintBytes(fields.maxPriorityFeePerGas ?? 0n),
      uintBytes(fields.maxFeePerGas),
      gas,
      to,
      value,
      fields.data,
      [],
    ];
    const type = Buffer.from([2]);
    const signature = sign(Buffer.concat([type, encodeRlp(unsigned)]));
    const signed = [
      ...unsigned,
      uintBytes(BigInt(signature.yParity)),
      uintBytes(BigInt(signature.r)),
      uintBytes(BigInt(signature.s)),
    ];
    return Buffer.concat([type, encodeRlp(signed)]);
  }
  // EIP-155: the chain id in the signed payload and in v.
  const base: RlpItem[] = [nonce, uintBytes(fields.gasPrice ?? 0n), gas, to, value, fields.data];
  const signature = sign(encodeRlp([...base, uintBytes(fields.chainId), Buffer.alloc(0), Buffer.alloc(0)]));
  const v = fields.chainId * 2n + 35n + BigInt(signature.yParity);
  return encodeRlp([...base, uintBytes(v), uintBytes(BigInt(signature.r)), uintBytes(BigInt(signature.s))]);
}

/**
 * Sends a call with large calldata from the account the nonce-keeping signer holds, and waits for
 * its receipt: gas estimated (or fixed by the overrides), fees from the chain (or a fixed legacy
 * price), the next nonce from the signer. `onSent` runs once the chain has the transaction.
 */
export async function sendLargeCall(
  signer: NonceManager,
  call: { to: string; data: Buffer },
  options: { overrides?: TransactionOverrides; confirmations: number; onSent?: (txHash: string) => void },
): Promise<TransactionReceipt> {
  const wallet = signer.signer as Wallet;
  const provider = wallet.provider as JsonRpcProvider;
  const from = await wallet.getAddress();
  const data = `0x${call.data.toString("hex")}`;
  const overrides = options.overrides ?? {};
  const gasLimit = overrides.gasLimit ?? BigInt(await provider.send("eth_estimateGas", [{ from, to: call.to, data }]));
  const { chainId } = await provider.getNetwork();
  let fees: Pick<CallFields, "maxFeePerGas" | "maxPriorityFeePerGas" | "gasPrice">;
  if (overrides.gasPrice !== undefined) fees = { gasPrice: overrides.gasPrice };
  else {
    const feeData = await provider.getFeeData();
    fees =
      feeData.maxFeePerGas !== null
        ? { maxFeePerGas: feeData.maxFeePerGas, maxPriorityFeePerGas: feeData.maxPriorityFeePerGas ?? 0n }
        : { gasPrice: feeData.gasPrice ?? 0n };
  }
  const nonce = signer.getNonce("pending");
  signer.increment();
  const raw = signCall(wallet, { chainId, nonce: await nonce, to: call.to, data: call.data, gasLimit, ...fees });
  const hash = `0x${Buffer.from(keccak_256(raw)).toString("hex")}`;
  const answered = String(await provider.send("eth_sendRawTransaction", [`0x${raw.toString("hex")}`]));
  if (answered.toLowerCase() !== hash) {
    throw new LedgerError("chain_response_invalid", `the chain took transaction ${hash} as ${answered}`);
  }
  options.onSent?.(hash);
  return receiptOf(provider, hash, options.confirmations);
}
