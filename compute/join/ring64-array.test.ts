import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { prfBytes } from "../mpc/prf.js";
import { RING_64 } from "./join-ring.js";
import { add64, outerProduct64, prf64Range, prf64Rows, ring64FromBytes, subtract64 } from "./ring64-array.js";

const MASK = (1n << 64n) - 1n;
const random = (count: number) => Array.from(new BigUint64Array(randomBytes(count * 8).buffer.slice(0)));
const EDGES = [0n, 1n, MASK, MASK - 1n, 1n << 63n, (1n << 32n) - 1n, 1n << 32n];
const from = (values: bigint[]) => BigUint64Array.from(values);

describe("Z/2^64 in a BigUint64Array, against bigint arithmetic", () => {
  it("adds, subtracts and round-trips signed values, wrapping as the ring does", () => {
    const a = [...EDGES, ...random(200)];
    const b = [...[...EDGES].reverse(), ...random(200)];
    expect(Array.from(add64(from(a), from(b)))).toEqual(a.map((x, i) => (x + (b[i] as bigint)) & MASK));
    expect(Array.from(subtract64(from(a), from(b)))).toEqual(a.map((x, i) => (x - (b[i] as bigint)) & MASK));
    const numbers = [0, 1, -1, 2 ** 53 - 1, -(2 ** 53 - 1), -42];
    const ring = RING_64.array(numbers.length);
    for (const [i, n] of numbers.entries()) RING_64.setNumber(ring, i, n);
    expect(RING_64.toBigInts(ring).map(RING_64.signed)).toEqual(numbers.map(BigInt));
    expect(RING_64.toBigInts(RING_64.fromBigInts([-5n, 1n << 70n]))).toEqual([MASK - 4n, 0n]);
  });

  it("reads the PRF's keystream eight bytes an element, by range and by rows, from any element", () => {
    const seed = randomBytes(32);
    const stream = ring64FromBytes(prfBytes(seed, 0, 64));
    expect(Array.from(prf64Range(seed, 0, 100))).toEqual(Array.from(stream.subarray(0, 100)));
    expect(Array.from(prf64Range(seed, 7, 30))).toEqual(Array.from(stream.subarray(7, 37)));
    // Rows of a table 3 wide (not a whole block) and 4 wide (two blocks): row r is elements w·r … w·r + w − 1.
    for (const width of [1, 3, 4]) {
      const rows = [9, 0, 3, 3, 10];
      expect(Array.from(prf64Rows(seed, rows, width))).toEqual(
        rows.flatMap((r) => Array.from(stream.subarray(width * r, width * r + width))),
      );
    }
    expect(() => ring64FromBytes(new Uint8Array(12))).toThrow(/8 bytes each/);
  });

  it.each([
    { rows: 30, p: 3, q: 2, aggregated: false },
    { rows: 300, p: 20, q: 2, aggregated: true },
    { rows: 7, p: 1, q: 5, aggregated: true },
  ])("multiplies outer products exactly as bigints do mod 2^64 (%o)", (shape) => {
    const u = random(shape.rows * shape.p);
    const v = random(shape.rows * shape.q);
    u[0] = MASK;
    v[0] = MASK;
    const { rows, p, q, aggregated } = shape;
    const expected = new Array<bigint>(aggregated ? p * q : rows * p * q).fill(0n);
    for (let m = 0; m < rows; m++)
      for (let x = 0; x < p; x++)
        for (let y = 0; y < q; y++) {
          const at = (aggregated ? 0 : m * p * q) + x * q + y;
          expected[at] = ((expected[at] as bigint) + (u[m * p + x] as bigint) * (v[m * q + y] as bigint)) & MASK;
        }
    expect(Array.from(outerProduct64(from(u), from(v), shape))).toEqual(expected);
    expect(() => outerProduct64(from(u), from(v.slice(1)), shape)).toThrow(/wrong size/);
  });

  it("gathers rows in the listed order and refuses a row past the end", () => {
    const table = from([10n, 11n, 20n, 21n, 30n, 31n]);
    expect(Array.from(RING_64.gatherRows(table, [2, 0, 2], 2) as BigUint64Array)).toEqual([
      30n,
      31n,
      10n,
      11n,
      30n,
      31n,
    ]);
    expect(() => RING_64.gatherRows(table, [3], 2)).toThrow(/past the table's end/);
  });
});
