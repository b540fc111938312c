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
  const out = Buffer.allocUnsafe(count * BLOCK);
  prfFill(seed, from, out);
  return out;
}

const CHUNK = 1 << 20;
const zeros = Buffer.alloc(CHUNK);

/**
 * Fills `out` with the keystream from block `from` on (a last block cut short if `out` ends inside
 * it), a mebibyte at a time: the cipher never holds a second copy of the whole stream, nor does its
 * zero input exist at that size.
 */
export function prfFill(seed: Uint8Array, from: number, out: Uint8Array): void {
  checkSeed(seed);
  const counter = Buffer.alloc(BLOCK);
  counter.writeBigUInt64BE(BigInt(from), 8);
  const cipher = createCipheriv("aes-256-ctr", seed, counter);
  for (let at = 0; at < out.length; at += CHUNK) {
    const length = Math.min(CHUNK, out.length - at);
    // CTR mode encrypts a partial block as the keystream's first bytes.
    out.set(cipher.update(zeros.subarray(0, length)), at);
  }
}

/**
 * The keystream read as a table `width` elements wide (row r is elements r·width … r·width + width − 1):
 * the listed rows, in the listed order, 16 bytes an element.
 */
export function prfRowBytes(seed: Uint8Array, rows: ArrayLike<number>, width: number): Buffer {
  return prfStreamRows(seed, rows, width * BLOCK);
}

/**
 * The keystream cut into rows of `rowBytes` bytes (row r is bytes r·rowBytes … (r + 1)·rowBytes − 1,
 * which need not start on a block): the listed rows, in the listed order. Every block a row touches
 * is encrypted in one pass, from counters written big-endian.
 */
export function prfStreamRows(seed: Uint8Array, rows: ArrayLike<number>, rowBytes: number): Buffer {
  checkSeed(seed);
  if (!Number.isInteger(rowBytes) || rowBytes <= 0) throw new RangeError("a PRF row is a whole number of bytes");
  const blocksPerRow = Math.ceil(rowBytes / BLOCK) + (rowBytes % BLOCK === 0 ? 0 : 1);
  const span = blocksPerRow * BLOCK;
  const counters = Buffer.alloc(rows.length * span);
  const view = new DataView(counters.buffer, counters.byteOffset, counters.byteLength);
  for (let i = 0; i < rows.length; i++) {
    const first = Math.floor(((rows[i] as number) * rowBytes) / BLOCK);
    for (let b = 0; b < blocksPerRow; b++) {
      const counter = first + b;
      const at = i * span + b * BLOCK;
      view.setUint32(at + 8, Math.floor(counter / 2 ** 32));
      view.setUint32(at + 12, counter >>> 0);
    }
  }
  const cipher = createCipheriv("aes-256-ecb", seed, null).setAutoPadding(false);
  const stream = Buffer.concat([cipher.update(counters), cipher.final()]);
  if (span === rowBytes) return stream;
  const out = Buffer.allocUnsafe(rows.length * rowBytes);
  for (let i = 0; i < rows.length; i++) {
    const skip = ((rows[i] as number) * rowBytes) % BLOCK;
    stream.copy(out, i * rowBytes, i * span + skip, i * span + skip + rowBytes);
  }
  return out;
}

/** Keystream bytes [from, from + length), from any byte. */
export function prfStreamBytes(seed: Uint8Array, from: number, length: number): Buffer {
  if (from % BLOCK === 0 && length % BLOCK === 0) return prfBytes(seed, from / BLOCK, length / BLOCK);
  const first = Math.floor(from / BLOCK);
  const skip = from - first * BLOCK;
  const blocks = prfBytes(seed, first, Math.ceil((skip + length) / BLOCK));
  return blocks.subarray(skip, skip + length);
}

/** Elements [from, from + count), as bigints (big-endian, as the rest of mpc/ reads elements). */
export function prfRange(seed: Uint8Array, from: number, count: number): bigint[] {
  return decodeVector(prfBytes(seed, from, count), count);
}
