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

/** The keystream of elements [from, from + count), 16 bytes each. */
export function prfBytes(seed: Uint8Array, from: number, count: number): Buffer {
  checkSeed(seed);
  const counter = Buffer.alloc(BLOCK);
  counter.writeBigUInt64BE(BigInt(from), 8);
  return createCipheriv("aes-256-ctr", seed, counter).update(Buffer.alloc(count * BLOCK));
}

/**
 * The keystream read as a table `width` elements wide (row r is elements r·width … r·width + width − 1):
 * the listed rows, in the listed order, 16 bytes an element.
 */
export function prfRowBytes(seed: Uint8Array, rows: ArrayLike<number>, width: number): Buffer {
  checkSeed(seed);
  const counters = Buffer.alloc(rows.length * width * BLOCK);
  for (let i = 0; i < rows.length; i++) {
    const first = (rows[i] as number) * width;
    for (let d = 0; d < width; d++) {
      const at = (i * width + d) * BLOCK;
      const counter = first + d;
      counters.writeUInt32BE(Math.floor(counter / 2 ** 32), at + 8);
      counters.writeUInt32BE(counter % 2 ** 32, at + 12);
    }
  }
  const cipher = createCipheriv("aes-256-ecb", seed, null).setAutoPadding(false);
  return Buffer.concat([cipher.update(counters), cipher.final()]);
}

/** Elements [from, from + count), as bigints (big-endian, as the rest of mpc/ reads elements). */
export function prfRange(seed: Uint8Array, from: number, count: number): bigint[] {
  return decodeVector(prfBytes(seed, from, count), count);
}
