import { createCipheriv } from "node:crypto";
import { decodeVector } from "./ring.js";

// A PRF from a 32-byte seed to ring elements: element c is AES-256 of the 16-byte big-endian
// counter c, that is block c of AES-256-CTR's keystream from a zero counter, read modulo 2^128.
// A party that holds the seed can compute any element on its own; to anyone else they are uniform.

export const PRF_SEED_BYTES = 32;
const BLOCK = 16;

function checkSeed(seed: Uint8Array) {
  if (seed.length !== PRF_SEED_BYTES) throw new RangeError(`a PRF seed is ${PRF_SEED_BYTES} bytes`);
}

/** Elements [from, from + count). */
export function prfRange(seed: Uint8Array, from: number, count: number): bigint[] {
  checkSeed(seed);
  const counter = Buffer.alloc(BLOCK);
  counter.writeBigUInt64BE(BigInt(from), 8);
  const keystream = createCipheriv("aes-256-ctr", seed, counter).update(Buffer.alloc(count * BLOCK));
  return decodeVector(keystream, count);
}

/**
 * The PRF read as a table `width` elements wide (row r is elements r·width … r·width + width − 1):
 * the listed rows, in the listed order, flat.
 */
export function prfRows(seed: Uint8Array, rows: ArrayLike<number>, width: number): bigint[] {
  checkSeed(seed);
  const counters = Buffer.alloc(rows.length * width * BLOCK);
  for (let i = 0; i < rows.length; i++) {
    const first = BigInt(rows[i] as number) * BigInt(width);
    for (let d = 0; d < width; d++) counters.writeBigUInt64BE(first + BigInt(d), (i * width + d) * BLOCK + 8);
  }
  const cipher = createCipheriv("aes-256-ecb", seed, null).setAutoPadding(false);
  const keystream = Buffer.concat([cipher.update(counters), cipher.final()]);
  return decodeVector(keystream, rows.length * width);
}
