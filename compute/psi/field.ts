// Arithmetic in GF(2^255 − 19) with BigInt, for what libsodium does not expose: the Edwards to
// Montgomery conversion and the on-curve test of a Montgomery u-coordinate. Both run batched, so
// that one modular exponentiation serves thousands of points.

export const P = 2n ** 255n - 19n;
/** The Montgomery coefficient of curve25519: v² = u³ + A·u² + u. */
const A = 486_662n;

export const mod = (x: bigint) => {
  const r = x % P;
  return r < 0n ? r + P : r;
};

const LOW_255 = (1n << 255n) - 1n;

/**
 * x mod p for 0 ≤ x < 2^512 (a product of two reduced elements), by folding: 2^255 ≡ 19 (mod p),
 * so x = hi·2^255 + lo ≡ lo + 19·hi. About twice as fast as BigInt's division on this machine.
 */
export function reduce(x: bigint): bigint {
  let r = (x & LOW_255) + 19n * (x >> 255n);
  r = (r & LOW_255) + 19n * (r >> 255n);
  return r >= P ? r - P : r;
}

export function pow(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = reduce(result * b);
    b = reduce(b * b);
    e >>= 1n;
  }
  return result;
}

/** Little-endian bytes to an integer (all 256 bits; callers mask what the encoding reserves). */
export function fromLittleEndian(bytes: Uint8Array, offset = 0, length = 32): bigint {
  return BigInt(
    `0x${Buffer.from(bytes.subarray(offset, offset + length))
      .reverse()
      .toString("hex")}`,
  );
}

/** Writes an integer below 2^256 as 32 little-endian bytes. */
export function toLittleEndian(value: bigint, target: Uint8Array, offset = 0): void {
  const bytes = Buffer.from(value.toString(16).padStart(64, "0"), "hex").reverse();
  target.set(bytes, offset);
}

/** Inverts every (non-zero) element with one exponentiation (Montgomery's trick). */
export function batchInvert(values: readonly bigint[]): bigint[] {
  const prefix: bigint[] = new Array(values.length);
  let running = 1n;
  for (let i = 0; i < values.length; i++) {
    prefix[i] = running;
    running = reduce(running * (values[i] as bigint));
  }
  let inverse = pow(running, P - 2n);
  const out: bigint[] = new Array(values.length);
  for (let i = values.length - 1; i >= 0; i--) {
    out[i] = reduce(inverse * (prefix[i] as bigint));
    inverse = reduce(inverse * (values[i] as bigint));
  }
  return out;
}

/** The right-hand side u³ + A·u² + u: a square exactly when u is on curve25519 rather than its twist. */
export const montgomeryRhs = (u: bigint) => reduce((reduce((u + A) * u) + 1n) * u);

/** Whether x is a square mod p (0 counts as one), by Euler's criterion. */
export const isSquare = (x: bigint) => {
  const r = pow(x, (P - 1n) / 2n);
  return r === 1n || r === 0n;
};

/**
 * Whether every value is a square, by a randomised batch test: each round multiplies a random
 * subset; a single non-square makes a round's product a non-square with probability 1/2, so 40
 * rounds miss it with probability 2^-40. Returns false when some value is not a square.
 */
export function allSquares(values: readonly bigint[], random: (bytes: number) => Uint8Array, rounds = 40): boolean {
  const bits = random(Math.ceil((values.length * rounds) / 8));
  for (let round = 0; round < rounds; round++) {
    let product = 1n;
    for (let i = 0; i < values.length; i++) {
      const bit = round * values.length + i;
      if (((bits[bit >> 3] as number) >> (bit & 7)) & 1) product = reduce(product * (values[i] as bigint));
    }
    if (!isSquare(product)) return false;
  }
  return true;
}
