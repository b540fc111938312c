import { randomBytes } from "node:crypto";

/**
 * Additive secret sharing over the ring Z/2^128. 128 bits leave room for sums of squares of 64-bit
 * values (variance) across millions of rows; signed values map in by two's complement.
 */
export const RING_BITS = 128n;
export const ELEMENT_BYTES = 16;
const MODULUS = 1n << RING_BITS;
const MASK = MODULUS - 1n;
const HALF = 1n << (RING_BITS - 1n);

/** Maps a signed integer into the ring; throws when it cannot be represented (|value| ≥ 2^127). */
export function toRing(value: bigint): bigint {
  if (value >= HALF || value < -HALF) throw new RangeError(`${value} does not fit in a signed 128-bit ring element`);
  return value & MASK;
}

/** Maps a ring element back to a signed integer in [-2^127, 2^127). */
export function fromRing(element: bigint): bigint {
  const reduced = element & MASK;
  return reduced >= HALF ? reduced - MODULUS : reduced;
}

export function addInRing(...elements: bigint[]): bigint {
  let sum = 0n;
  for (const e of elements) sum += e;
  return sum & MASK;
}

/** The sum of any number of ring elements (no argument list, so a million of them do not overflow the stack). */
export function sumInRing(elements: Iterable<bigint>): bigint {
  let sum = 0n;
  for (const e of elements) sum += e;
  return sum & MASK;
}

export function isRingElement(value: bigint): boolean {
  return value >= 0n && value < MODULUS;
}

function randomElements(count: number): bigint[] {
  const bytes = randomBytes(count * ELEMENT_BYTES);
  return Array.from({ length: count }, (_, i) => readElement(bytes, i * ELEMENT_BYTES));
}

/** Splits a signed integer into `parties` ring shares that add up to it modulo 2^128. */
export function splitIntoShares(value: bigint, parties: number): bigint[] {
  return splitVector([value], parties).map((share) => share[0] as bigint);
}

/**
 * Splits a vector of signed integers into `parties` vectors of ring shares: n−1 uniform, one that
 * makes each position add up. Any n−1 of them are uniform and independent of the values.
 */
export function splitVector(values: readonly bigint[], parties: number): bigint[][] {
  if (!Number.isInteger(parties) || parties < 2) throw new RangeError("secret sharing needs at least 2 parties");
  const shares = Array.from({ length: parties - 1 }, () => randomElements(values.length));
  const last = values.map((value, i) => (toRing(value) - addInRing(...shares.map((s) => s[i] as bigint))) & MASK);
  return [...shares, last];
}

/** Adds vectors of ring elements position by position; they must all have the same length. */
export function addVectors(...vectors: readonly (readonly bigint[])[]): bigint[] {
  const length = vectors[0]?.length ?? 0;
  if (vectors.some((v) => v.length !== length)) throw new RangeError("vectors of different lengths cannot be added");
  return Array.from({ length }, (_, i) => addInRing(...vectors.map((v) => v[i] as bigint)));
}

function readElement(bytes: Uint8Array, offset: number): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, ELEMENT_BYTES);
  return (view.getBigUint64(0) << 64n) | view.getBigUint64(8);
}

/** Ring elements as bytes: 16 per element, big-endian. */
export function encodeVector(vector: readonly bigint[]): Buffer {
  const bytes = Buffer.alloc(vector.length * ELEMENT_BYTES);
  vector.forEach((element, i) => {
    if (!isRingElement(element)) throw new RangeError(`${element} is not a ring element`);
    bytes.writeBigUInt64BE(element >> 64n, i * ELEMENT_BYTES);
    bytes.writeBigUInt64BE(element & 0xffff_ffff_ffff_ffffn, i * ELEMENT_BYTES + 8);
  });
  return bytes;
}

/** The inverse of encodeVector; refuses bytes that are not exactly `length` elements. */
export function decodeVector(bytes: Uint8Array, length: number): bigint[] {
  if (bytes.length !== length * ELEMENT_BYTES) {
    throw new RangeError(
      `expected ${length} ring elements (${length * ELEMENT_BYTES} bytes), got ${bytes.length} bytes`,
    );
  }
  return Array.from({ length }, (_, i) => readElement(bytes, i * ELEMENT_BYTES));
}
