import { randomBytes } from "node:crypto";

/** Additive secret sharing over the ring Z/2^64: shares are uniform, and any n-1 of them reveal nothing. */
export const RING_BITS = 64n;
const MODULUS = 1n << RING_BITS;
const HALF = 1n << (RING_BITS - 1n);

function randomRingElement(): bigint {
  return randomBytes(8).readBigUInt64BE();
}

/** Maps a signed integer into the ring; throws when it cannot be represented (|value| ≥ 2^63). */
export function toRing(value: bigint): bigint {
  if (value >= HALF || value < -HALF) throw new RangeError(`${value} does not fit in a signed 64-bit ring element`);
  return ((value % MODULUS) + MODULUS) % MODULUS;
}

/** Maps a ring element back to a signed integer in [-2^63, 2^63). */
export function fromRing(element: bigint): bigint {
  const reduced = ((element % MODULUS) + MODULUS) % MODULUS;
  return reduced >= HALF ? reduced - MODULUS : reduced;
}

export function addInRing(...elements: bigint[]): bigint {
  return elements.reduce((sum, e) => (sum + e) % MODULUS, 0n);
}

/** Splits a signed integer into `parties` ring shares that add up to it modulo 2^64. */
export function splitIntoShares(value: bigint, parties: number): bigint[] {
  if (!Number.isInteger(parties) || parties < 2) throw new RangeError("secret sharing needs at least 2 parties");
  const shares = Array.from({ length: parties - 1 }, randomRingElement);
  const last = (toRing(value) - addInRing(...shares) + MODULUS) % MODULUS;
  return [...shares, last];
}

export function isRingElement(value: bigint): boolean {
  return value >= 0n && value < MODULUS;
}
