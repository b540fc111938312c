import { endianness } from "node:os";
import { prfFill, prfRowBytes } from "../mpc/prf.js";

// Z/2^128 in typed arrays, for the join's millions of elements: element i is limbs 4i … 4i+3 of a
// Uint32Array, least significant first, so adding is a carry chain and the wire form is the bytes
// as they lie (little-endian). Products go through 16-bit limbs in doubles, which multiply exactly:
// a 16 × 16-bit product is below 2^32 and a column of a 128-bit product sums at most eight of them,
// so column sums of up to 2^18 products stay below 2^53 and need carrying only once.

if (endianness() !== "LE") throw new Error("the join's ring arrays assume a little-endian machine");

export type RingArray = Uint32Array;
const TWO32 = 2 ** 32;
const FLUSH_ROWS = 1 << 17;

export const ringArray = (count: number): RingArray => new Uint32Array(count * 4);
export const ringLength = (a: RingArray) => a.length / 4;

/** Writes a safe integer (negative ones by two's complement). */
export function setNumber(a: RingArray, i: number, value: number): void {
  const at = i * 4;
  if (value >= 0) {
    const lo = value % TWO32;
    a[at] = lo;
    a[at + 1] = (value - lo) / TWO32;
    a[at + 2] = 0;
    a[at + 3] = 0;
    return;
  }
  // −x = ~x + 1 over 128 bits.
  const magnitude = -value;
  const lo = magnitude % TWO32;
  const hi = (magnitude - lo) / TWO32;
  const notLo = ~lo >>> 0;
  const low = notLo + 1;
  const carry = low >= TWO32 ? 1 : 0;
  const notHi = ~hi >>> 0;
  const high = notHi + carry;
  a[at] = low >>> 0;
  a[at + 1] = high >>> 0;
  const upper = high >= TWO32 ? 0 : 0xffff_ffff;
  a[at + 2] = upper;
  a[at + 3] = upper;
}

export function setBigInt(a: RingArray, i: number, value: bigint): void {
  let v = BigInt.asUintN(128, value);
  for (let k = 0; k < 4; k++) {
    a[i * 4 + k] = Number(v & 0xffff_ffffn);
    v >>= 32n;
  }
}

export function getBigInt(a: RingArray, i: number): bigint {
  let v = 0n;
  for (let k = 3; k >= 0; k--) v = (v << 32n) | BigInt(a[i * 4 + k] as number);
  return v;
}

export function fromBigInts(values: readonly bigint[]): RingArray {
  const a = ringArray(values.length);
  for (const [i, v] of values.entries()) setBigInt(a, i, v);
  return a;
}

export function toBigInts(a: RingArray): bigint[] {
  return Array.from({ length: ringLength(a) }, (_, i) => getBigInt(a, i));
}

// A Uint32Array store keeps a number modulo 2^32, so a limb's carry or borrow is all there is to track.
/** a + b, into `out` when given (which may be `a` itself). */
export function addRing(a: RingArray, b: RingArray, out: RingArray = new Uint32Array(a.length)): RingArray {
  if (a.length !== b.length || out.length !== a.length) throw new RangeError("shares of different lengths");
  for (let e = 0; e < a.length; e += 4) {
    let t = (a[e] as number) + (b[e] as number);
    out[e] = t;
    t = (a[e + 1] as number) + (b[e + 1] as number) + (t > 0xffff_ffff ? 1 : 0);
    out[e + 1] = t;
    t = (a[e + 2] as number) + (b[e + 2] as number) + (t > 0xffff_ffff ? 1 : 0);
    out[e + 2] = t;
    out[e + 3] = (a[e + 3] as number) + (b[e + 3] as number) + (t > 0xffff_ffff ? 1 : 0);
  }
  return out;
}

/** a − b, into `out` when given (which may be `a` itself). */
export function subtractRing(a: RingArray, b: RingArray, out: RingArray = new Uint32Array(a.length)): RingArray {
  if (a.length !== b.length || out.length !== a.length) throw new RangeError("shares of different lengths");
  for (let e = 0; e < a.length; e += 4) {
    let t = (a[e] as number) - (b[e] as number);
    out[e] = t;
    t = (a[e + 1] as number) - (b[e + 1] as number) - (t < 0 ? 1 : 0);
    out[e + 1] = t;
    t = (a[e + 2] as number) - (b[e + 2] as number) - (t < 0 ? 1 : 0);
    out[e + 2] = t;
    out[e + 3] = (a[e + 3] as number) - (b[e + 3] as number) - (t < 0 ? 1 : 0);
  }
  return out;
}

/** Bytes to elements: the bytes themselves when they lie on a 4-byte boundary, else a copy; whole elements only. */
export function ringFromBytes(bytes: Uint8Array): RingArray {
  if (bytes.length % 16 !== 0) throw new RangeError("ring elements are 16 bytes each");
  if (bytes.byteOffset % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  const a = new Uint32Array(bytes.length / 4);
  new Uint8Array(a.buffer).set(bytes);
  return a;
}

/** Rows of a table `width` elements wide, copied in the listed order. */
export function gatherRows(source: RingArray, rows: ArrayLike<number>, width: number): RingArray {
  const span = width * 4;
  const out = new Uint32Array(rows.length * span);
  for (let m = 0; m < rows.length; m++) {
    const from = (rows[m] as number) * span;
    if (from + span > source.length) throw new RangeError("a row past the table's end");
    out.set(source.subarray(from, from + span), m * span);
  }
  return out;
}

/** The PRF of `mpc/prf.ts`, elements [from, from + count), its keystream read as limbs. */
export function prfRingRange(seed: Uint8Array, from: number, count: number): RingArray {
  const out = ringArray(count);
  prfFill(seed, from, new Uint8Array(out.buffer));
  return out;
}

/** The PRF read as a table `width` elements wide: the listed rows, in order, flat. */
export const prfRingRows = (seed: Uint8Array, rows: ArrayLike<number>, width: number): RingArray =>
  ringFromBytes(prfRowBytes(seed, rows, width));

/** An element's eight 16-bit limbs, least significant first, into `out` at `at`. */
function limbs16(a: RingArray, i: number, out: Float64Array, at: number): void {
  for (let k = 0; k < 4; k++) {
    const limb = a[i * 4 + k] as number;
    out[at + 2 * k] = limb & 0xffff;
    out[at + 2 * k + 1] = limb >>> 16;
  }
}

/** Carries eight column sums (base 2^16) into an element, mod 2^128, and adds it to `target[i]`. */
function carryInto(columns: Float64Array, at: number, target: RingArray, i: number): void {
  let carry = 0;
  const packed = [0, 0, 0, 0];
  for (let k = 0; k < 8; k++) {
    const t = (columns[at + k] as number) + carry;
    const low = t % 65536;
    carry = (t - low) / 65536;
    if (k % 2 === 0) packed[k >> 1] = low;
    else packed[k >> 1] = (packed[k >> 1] as number) + low * 65536;
  }
  let c = 0;
  for (let k = 0; k < 4; k++) {
    const sum = (target[i * 4 + k] as number) + (packed[k] as number) + c;
    target[i * 4 + k] = sum >>> 0;
    c = sum >= TWO32 ? 1 : 0;
  }
}

export interface OuterShape {
  rows: number;
  p: number;
  q: number;
  aggregated: boolean;
}

/**
 * The outer product of two tables of `rows` rows (p and q wide), row by row, or summed over the
 * rows when `aggregated`, mod 2^128: the same as `beaver.ts`'s outerProduct on bigints.
 */
export function outerProductRing(u: RingArray, v: RingArray, shape: OuterShape): RingArray {
  const { rows, p, q, aggregated } = shape;
  if (u.length !== rows * p * 4 || v.length !== rows * q * 4) throw new RangeError("tables of the wrong size");
  const cells = p * q;
  const out = ringArray(aggregated ? cells : rows * cells);
  const columns = new Float64Array(cells * 8);
  const ul = new Float64Array(p * 8);
  const vl = new Float64Array(q * 8);
  let pending = 0;
  const flush = (base: number) => {
    for (let c = 0; c < cells; c++) carryInto(columns, c * 8, out, base + c);
    columns.fill(0);
    pending = 0;
  };
  for (let m = 0; m < rows; m++) {
    for (let x = 0; x < p; x++) limbs16(u, m * p + x, ul, x * 8);
    for (let y = 0; y < q; y++) limbs16(v, m * q + y, vl, y * 8);
    for (let x = 0; x < p; x++) {
      const a = x * 8;
      const a0 = ul[a] as number;
      const a1 = ul[a + 1] as number;
      const a2 = ul[a + 2] as number;
      const a3 = ul[a + 3] as number;
      const a4 = ul[a + 4] as number;
      const a5 = ul[a + 5] as number;
      const a6 = ul[a + 6] as number;
      const a7 = ul[a + 7] as number;
      for (let y = 0; y < q; y++) {
        const b = y * 8;
        const b0 = vl[b] as number;
        const b1 = vl[b + 1] as number;
        const b2 = vl[b + 2] as number;
        const b3 = vl[b + 3] as number;
        const b4 = vl[b + 4] as number;
        const b5 = vl[b + 5] as number;
        const b6 = vl[b + 6] as number;
        const b7 = vl[b + 7] as number;
        const at = (x * q + y) * 8;
        // The columns of the product's 16-bit limbs below 2^128 (the convolution, unrolled).
        columns[at] = (columns[at] as number) + a0 * b0;
        columns[at + 1] = (columns[at + 1] as number) + a0 * b1 + a1 * b0;
        columns[at + 2] = (columns[at + 2] as number) + a0 * b2 + a1 * b1 + a2 * b0;
        columns[at + 3] = (columns[at + 3] as number) + a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0;
        columns[at + 4] = (columns[at + 4] as number) + a0 * b4 + a1 * b3 + a2 * b2 + a3 * b1 + a4 * b0;
        columns[at + 5] = (columns[at + 5] as number) + a0 * b5 + a1 * b4 + a2 * b3 + a3 * b2 + a4 * b1 + a5 * b0;
        columns[at + 6] =
          (columns[at + 6] as number) + a0 * b6 + a1 * b5 + a2 * b4 + a3 * b3 + a4 * b2 + a5 * b1 + a6 * b0;
        columns[at + 7] =
          (columns[at + 7] as number) + a0 * b7 + a1 * b6 + a2 * b5 + a3 * b4 + a4 * b3 + a5 * b2 + a6 * b1 + a7 * b0;
      }
    }
    if (!aggregated) flush(m * cells);
    else if (++pending === FLUSH_ROWS) flush(0);
  }
  if (aggregated && pending > 0) flush(0);
  return out;
}
