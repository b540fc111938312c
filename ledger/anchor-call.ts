import { Interface } from "ethers";
import { loadArtifact } from "./artifacts.js";
import { LedgerError } from "./errors.js";

// UsageLedger.anchorBatch's calldata, encoded and decoded directly: a batch of 4,096 leaves is 131 KB
// of calldata, which ethers' ABI coder takes ~85 ms to write and ~250 ms to read back, where this
// takes under a millisecond. The layout is the Solidity ABI's for
// (bytes32 batchId, bytes32 root, bytes32[] leaves, uint128 feeTotalFen, uint64 periodStart, uint64 periodEnd):
// the selector, six head words (the array's is its offset, 0xc0), then the array's length and items.
// The tests cross-check both directions against ethers' coder.

const WORD = 32;
const HEAD_WORDS = 6;
const MAX_UINT64 = (1n << 64n) - 1n;
const MAX_UINT128 = (1n << 128n) - 1n;

let selector: Buffer | undefined;
/** The four bytes naming anchorBatch, from the compiled ABI. */
export function anchorBatchSelector(): Buffer {
  selector ??= Buffer.from(
    (new Interface(loadArtifact("UsageLedger").abi).getFunction("anchorBatch")?.selector ?? "").slice(2),
    "hex",
  );
  return selector;
}

export interface AnchorBatchCall {
  /** bytes32, hex with 0x. */
  batchId: string;
  root: string;
  /** Record hashes in leaf order: 64 hex digits each, with or without 0x. */
  leaves: readonly string[];
  feeTotalFen: bigint;
  periodStart: number;
  periodEnd: number;
}

const word32 = (hex: string, what: string): Buffer => {
  const digits = hex.startsWith("0x") ? hex.slice(2) : hex;
  if (!/^[0-9a-fA-F]{64}$/.test(digits)) throw new LedgerError("invalid_leaf", `${what} ${hex} is not 32 bytes of hex`);
  return Buffer.from(digits, "hex");
};

function uintWord(value: bigint, max: bigint, what: string): Buffer {
  if (value < 0n || value > max) throw new LedgerError("invalid_batch", `${what} ${value} is out of range`);
  return Buffer.from(value.toString(16).padStart(64, "0"), "hex");
}

/** The calldata of anchorBatch(batchId, root, leaves, feeTotalFen, periodStart, periodEnd). */
export function encodeAnchorBatchCall(call: AnchorBatchCall): Buffer {
  const parts = [
    anchorBatchSelector(),
    word32(call.batchId, "batch id"),
    word32(call.root, "root"),
    uintWord(BigInt(HEAD_WORDS * WORD), MAX_UINT64, "offset"),
    uintWord(call.feeTotalFen, MAX_UINT128, "fee total"),
    uintWord(BigInt(call.periodStart), MAX_UINT64, "period start"),
    uintWord(BigInt(call.periodEnd), MAX_UINT64, "period end"),
    uintWord(BigInt(call.leaves.length), MAX_UINT64, "leaf count"),
    ...call.leaves.map((leaf) => word32(leaf, "leaf")),
  ];
  return Buffer.concat(parts);
}

/** A call's arguments as read from a transaction's calldata, or null when the data is not a well-formed anchorBatch call. */
export function decodeAnchorBatchCall(data: Buffer): (Omit<AnchorBatchCall, "leaves"> & { leaves: string[] }) | null {
  const body = data.subarray(4);
  if (data.length < 4 || !data.subarray(0, 4).equals(anchorBatchSelector())) return null;
  if (body.length < (HEAD_WORDS + 1) * WORD || body.length % WORD !== 0) return null;
  const word = (i: number) => body.subarray(i * WORD, (i + 1) * WORD);
  const uint = (i: number) => BigInt(`0x${word(i).toString("hex")}`);
  const offset = uint(2);
  if (offset !== BigInt(HEAD_WORDS * WORD)) return null;
  const count = uint(HEAD_WORDS);
  if (count !== BigInt(body.length / WORD - HEAD_WORDS - 1)) return null;
  const [fee, start, end] = [uint(3), uint(4), uint(5)];
  if (fee > MAX_UINT128 || start > MAX_UINT64 || end > MAX_UINT64) return null;
  const leaves: string[] = new Array(Number(count));
  for (let i = 0; i < leaves.length; i++) leaves[i] = word(HEAD_WORDS + 1 + i).toString("hex");
  return {
    batchId: `0x${word(0).toString("hex")}`,
    root: `0x${word(1).toString("hex")}`,
    leaves,
    feeTotalFen: fee,
    periodStart: Number(start),
    periodEnd: Number(end),
  };
}
