import { prfFill, prfStreamBytes, prfStreamRows } from "../mpc/prf.js";
import type { OuterShape } from "./ring-array.js";

// Z/2^64 in a BigUint64Array, for joins whose bounds prove no cell can wrap (`ring-bits.ts`):
// element i is entry i, and a store into the array reduces modulo 2^64, so adding, subtracting and
// multiplying entries is exact ring arithmetic. V8 compiles such typed-array BigInt arithmetic to
// machine words, without a BigInt allocation an operation. The wire form is the bytes as they lie
// (little-endian, as `ring-array.ts` requires of the machine); the PRF's element c is bytes
// 8c … 8c + 7 of its keystream.

export type Ring64Array = BigUint64Array;
const BYTES = 8;

export const ring64Array = (count: number): Ring64Array => new BigUint64Array(count);

/** a + b, into `out` when given (which may be `a` itself). */
export function add64(a: Ring64Array, b: Ring64Array, out: Ring64Array = new BigUint64Array(a.length)): Ring64Array {
  if (a.length !== b.length || out.length !== a.length) throw new RangeError("shares of different lengths");
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as bigint) + (b[i] as bigint);
  return out;
}

/** a − b, into `out` when given (which may be `a` itself). */
export function subtract64(
  a: Ring64Array,
  b: Ring64Array,
  out: Ring64Array = new BigUint64Array(a.length),
): Ring64Array {
  if (a.length !== b.length || out.length !== a.length) throw new RangeError("shares of different lengths");
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as bigint) - (b[i] as bigint);
  return out;
}

/** Bytes to elements: the bytes themselves when they lie on an 8-byte boundary, else a copy; whole elements only. */
export function ring64FromBytes(bytes: Uint8Array): Ring64Array {
  if (bytes.length % BYTES !== 0) throw new RangeError("ring elements are 8 bytes each");
  if (bytes.byteOffset % BYTES === 0) return new BigUint64Array(bytes.buffer, bytes.byteOffset, bytes.length / BYTES);
  const a = new BigUint64Array(bytes.length / BYTES);
  new Uint8Array(a.buffer).set(bytes);
  return a;
}

export function prf64Range(seed: Uint8Array, from: number, count: number): Ring64Array {
  if (from % 2 !== 0 || count % 2 !== 0) return ring64FromBytes(prfStreamBytes(seed, from * BYTES, count * BYTES));
  // Two elements a block: the keystream goes straight into the array.
  const out = new BigUint64Array(count);
  prfFill(seed, from / 2, new Uint8Array(out.buffer));
  return out;
}

/** The PRF read as a table `width` elements wide: the listed rows, in order, flat. */
export const prf64Rows = (seed: Uint8Array, rows: ArrayLike<number>, width: number): Ring64Array =>
  ring64FromBytes(prfStreamRows(seed, rows, width * BYTES));

/** Rows of a table `width` elements wide, copied in the listed order. */
export function gatherRows64(source: Ring64Array, rows: ArrayLike<number>, width: number): Ring64Array {
  const out = new BigUint64Array(rows.length * width);
  for (let m = 0; m < rows.length; m++) {
    const from = (rows[m] as number) * width;
    if (from + width > source.length) throw new RangeError("a row past the table's end");
    out.set(source.subarray(from, from + width), m * width);
  }
  return out;
}

/** `out` becomes the listed rows of `source` less (or plus) what `out` held, in one pass. */
export function gatherCombine64(
  source: Ring64Array,
  rows: ArrayLike<number>,
  width: number,
  out: Ring64Array,
  sign: 1 | -1,
): void {
  if (out.length !== rows.length * width) throw new RangeError("a table of the wrong size");
  for (let m = 0; m < rows.length; m++) {
    const from = (rows[m] as number) * width;
    if (from + width > source.length) throw new RangeError("a row past the table's end");
    const to = m * width;
    if (sign < 0) for (let k = 0; k < width; k++) out[to + k] = (source[from + k] as bigint) - (out[to + k] as bigint);
    else for (let k = 0; k < width; k++) out[to + k] = (source[from + k] as bigint) + (out[to + k] as bigint);
  }
}

/** The outer product of two tables of `rows` rows (p and q wide), row by row, or summed over the rows when `aggregated`. */
export function outerProduct64(u: Ring64Array, v: Ring64Array, shape: OuterShape): Ring64Array {
  const { rows, p, q, aggregated } = shape;
  if (u.length !== rows * p || v.length !== rows * q) throw new RangeError("tables of the wrong size");
  const cells = p * q;
  const out = new BigUint64Array(aggregated ? cells : rows * cells);
  for (let m = 0; m < rows; m++) {
    const base = aggregated ? 0 : m * cells;
    for (let x = 0; x < p; x++) {
      const a = u[m * p + x] as bigint;
      const at = base + x * q;
      for (let y = 0; y < q; y++) out[at + y] = (out[at + y] as bigint) + a * (v[m * q + y] as bigint);
    }
  }
  return out;
}
