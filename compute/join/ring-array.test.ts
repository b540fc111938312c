import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { prfRange } from "../mpc/prf.js";
import { decodeVector, fromRing, toRing } from "../mpc/ring.js";
import {
  addRing,
  fromBigInts,
  outerProductRing,
  prfRingRange,
  prfRingRows,
  ringArray,
  setNumber,
  subtractRing,
  toBigInts,
} from "./ring-array.js";

const MASK = (1n << 128n) - 1n;

/** The reference: the outer product on bigints, row by row or summed over the rows. */
function outerProduct(
  u: bigint[],
  v: bigint[],
  { rows, p, q, aggregated }: { rows: number; p: number; q: number; aggregated: boolean },
) {
  const out = new Array<bigint>(aggregated ? p * q : rows * p * q).fill(0n);
  for (let m = 0; m < rows; m++)
    for (let x = 0; x < p; x++)
      for (let y = 0; y < q; y++) {
        const at = (aggregated ? 0 : m * p * q) + x * q + y;
        out[at] = ((out[at] as bigint) + (u[m * p + x] as bigint) * (v[m * q + y] as bigint)) & MASK;
      }
  return out;
}
const random = (count: number) => decodeVector(randomBytes(count * 16), count);
const EDGES = [0n, 1n, MASK, MASK - 1n, 1n << 127n, (1n << 64n) - 1n, 1n << 64n, (1n << 32n) - 1n];

describe("Z/2^128 in typed arrays, against bigint arithmetic", () => {
  it("round-trips bigints and safe integers, negative ones by two's complement", () => {
    const values = [...EDGES, ...random(50)];
    expect(toBigInts(fromBigInts(values))).toEqual(values);
    const numbers = [0, 1, -1, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 32, -(2 ** 32), 123_456_789, -42];
    const a = ringArray(numbers.length);
    for (const [i, n] of numbers.entries()) setNumber(a, i, n);
    expect(toBigInts(a).map(fromRing)).toEqual(numbers.map(BigInt));
  });

  it("adds and subtracts mod 2^128, carries and borrows included", () => {
    const a = [...EDGES, ...random(200)];
    const b = [...[...EDGES].reverse(), ...random(200)];
    expect(toBigInts(addRing(fromBigInts(a), fromBigInts(b)))).toEqual(a.map((x, i) => (x + (b[i] as bigint)) & MASK));
    expect(toBigInts(subtractRing(fromBigInts(a), fromBigInts(b)))).toEqual(
      a.map((x, i) => (x - (b[i] as bigint)) & MASK),
    );
  });

  it("is the same PRF as mpc/prf.ts, by range and by rows", () => {
    const seed = randomBytes(32);
    // The same keystream read in the ring array's order: the elements are the byte-reversed ones.
    const keystream = (values: bigint[]) =>
      Buffer.concat(values.map((v) => Buffer.from(v.toString(16).padStart(32, "0"), "hex")));
    const asRing = (values: bigint[]) => {
      const bytes = keystream(values);
      return toBigInts(new Uint32Array(new Uint8Array(bytes).buffer));
    };
    expect(toBigInts(prfRingRange(seed, 5, 40))).toEqual(asRing(prfRange(seed, 5, 40)));
    // Rows of a table 4 wide: row r is elements 4r … 4r + 3 of the same stream.
    const stream = asRing(prfRange(seed, 0, 32));
    expect(toBigInts(prfRingRows(seed, [7, 0, 3], 4))).toEqual(
      [7, 0, 3].flatMap((r) => stream.slice(4 * r, 4 * r + 4)),
    );
  });

  it.each([
    { rows: 30, p: 3, q: 2, aggregated: false },
    { rows: 30, p: 20, q: 2, aggregated: true },
    { rows: 7, p: 1, q: 5, aggregated: true },
  ])("multiplies outer products exactly as bigints do (%o)", (shape) => {
    const u = random(shape.rows * shape.p);
    const v = random(shape.rows * shape.q);
    u[0] = MASK;
    v[0] = MASK;
    expect(toBigInts(outerProductRing(fromBigInts(u), fromBigInts(v), shape))).toEqual(outerProduct(u, v, shape));
  });

  it("carries column sums in time over more rows than one flush holds", () => {
    const rows = 300_000;
    const u = ringArray(rows).fill(0xffff_ffff);
    const v = ringArray(rows).fill(0xffff_ffff);
    const expected = (BigInt(rows) * ((MASK * MASK) & MASK)) & MASK;
    expect(toBigInts(outerProductRing(u, v, { rows, p: 1, q: 1, aggregated: true }))).toEqual([expected]);
    expect(toRing(-1n)).toBe(MASK);
  });
});
