import { randomBytes } from "node:crypto";

// Exact sampling of the discrete Laplace distribution with integer arithmetic and a CSPRNG, after
// Canonne, Kamath and Steinke, "The Discrete Gaussian for Differential Privacy" (NeurIPS 2020),
// Algorithms 1 and 2. No floating point is involved anywhere: Mironov, "On Significance of the
// Least Significant Bits for Differential Privacy" (CCS 2012) showed that textbook floating-point
// Laplace noise leaks the un-noised value through the pattern of representable doubles.

export type RandomBytes = (size: number) => Uint8Array;

/**
 * The CSPRNG read in 64 KiB blocks: a sampler draws a few bytes many times per sample, and one
 * system call per draw costs more than the sampling itself.
 */
export function bufferedRandomBytes(blockSize = 65_536): RandomBytes {
  let block = randomBytes(blockSize);
  let offset = 0;
  return (size) => {
    if (size > blockSize) return randomBytes(size);
    if (offset + size > blockSize) {
      block = randomBytes(blockSize);
      offset = 0;
    }
    offset += size;
    return block.subarray(offset - size, offset);
  };
}

/** A uniform integer in [0, n), by rejection from a CSPRNG (no modulo bias). */
export function uniformBelow(n: bigint, random: RandomBytes = randomBytes): bigint {
  if (n <= 0n) throw new RangeError("the range must be positive");
  if (n === 1n) return 0n;
  const bits = (n - 1n).toString(2).length;
  const bytes = Math.ceil(bits / 8);
  const mask = (1n << BigInt(bits)) - 1n;
  for (;;) {
    let candidate = 0n;
    for (const byte of random(bytes)) candidate = (candidate << 8n) | BigInt(byte);
    candidate &= mask;
    if (candidate < n) return candidate;
  }
}

/** Bernoulli(num/den), exactly. */
function bernoulli(num: bigint, den: bigint, random: RandomBytes): boolean {
  return uniformBelow(den, random) < num;
}

/** Bernoulli(exp(−num/den)), exactly (CKS20, Algorithm 1). */
export function bernoulliExpMinus(num: bigint, den: bigint, random: RandomBytes = randomBytes): boolean {
  if (num < 0n || den <= 0n) throw new RangeError("γ must be a non-negative fraction");
  if (num <= den) {
    let k = 1n;
    while (bernoulli(num, den * k, random)) k += 1n;
    return k % 2n === 1n;
  }
  for (let i = 0n; i < num / den; i++) {
    if (!bernoulliExpMinus(1n, 1n, random)) return false;
  }
  return bernoulliExpMinus(num % den, den, random);
}

/**
 * One sample of the discrete Laplace distribution with scale `scaleNum/scaleDen`:
 * P(x) ∝ exp(−|x|·scaleDen/scaleNum) for every integer x (CKS20, Algorithm 2).
 */
export function sampleDiscreteLaplace(scaleNum: bigint, scaleDen: bigint, random: RandomBytes = randomBytes): bigint {
  if (scaleNum <= 0n || scaleDen <= 0n) throw new RangeError("the scale must be positive");
  const t = scaleNum;
  const s = scaleDen;
  for (;;) {
    const u = uniformBelow(t, random);
    if (!bernoulliExpMinus(u, t, random)) continue;
    let v = 0n;
    while (bernoulliExpMinus(1n, 1n, random)) v += 1n;
    const y = (u + t * v) / s;
    const negative = bernoulli(1n, 2n, random);
    if (negative && y === 0n) continue;
    return negative ? -y : y;
  }
}
