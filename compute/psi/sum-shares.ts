import { prfRange } from "../mpc/prf.js";
import { encodeVector } from "../mpc/ring.js";
import { SEED_BYTES } from "./helper-input.js";

// PSI-sum's additive shares without shipping one share per entity to the helper: the helper's share
// of entity j is block j of AES-256-CTR's keystream under a fresh 32-byte seed (a PRF from
// node:crypto), read as a ring element modulo 2^128; the operator's share is the entity's total
// minus it. The helper needs only the seed; the operator's shares are uniform to anyone without it.

/** The helper's shares of entities [from, from + count): keystream blocks from..from+count−1. */
export function helperShares(seed: Buffer, from: number, count: number): bigint[] {
  if (seed.length !== SEED_BYTES) throw new RangeError(`a seed is ${SEED_BYTES} bytes`);
  return prfRange(seed, from, count);
}

/** The operator's shares of entities [from, from + totals.length): each total minus the helper's share, mod 2^128. */
export function operatorShares(seed: Buffer, from: number, totals: readonly bigint[]): Buffer {
  const theirs = helperShares(seed, from, totals.length);
  const mask = (1n << 128n) - 1n;
  return encodeVector(totals.map((total, i) => (total - (theirs[i] as bigint)) & mask));
}
