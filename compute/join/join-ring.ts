import { prfFill } from "../mpc/prf.js";
import {
  addRing,
  fromBigInts,
  gatherRows,
  getBigInt,
  type OuterShape,
  outerProductRing,
  prfRingRange,
  prfRingRows,
  ringArray,
  ringFromBytes,
  ringLength,
  setBigInt,
  setNumber,
  subtractRing,
  toBigInts,
} from "./ring-array.js";
import {
  add64,
  gatherCombine64,
  gatherRows64,
  outerProduct64,
  prf64Range,
  prf64Rows,
  type Ring64Array,
  ring64Array,
  ring64FromBytes,
  subtract64,
} from "./ring64-array.js";

/** A join's shares: Z/2^128 in 32-bit limbs (`ring-array.ts`) or Z/2^64 in 64-bit words (`ring64-array.ts`). */
export type JoinRingArray = Uint32Array | BigUint64Array;
export type JoinRingBits = 64 | 128;

/** The ring a join computes in, every operation its protocol needs, on that ring's arrays. */
export interface JoinRing {
  readonly bits: JoinRingBits;
  /** Bytes an element takes on the wire. */
  readonly elementBytes: number;
  array(count: number): JoinRingArray;
  length(a: JoinRingArray): number;
  /** Writes a safe integer (a negative one as its two's complement). */
  setNumber(a: JoinRingArray, i: number, value: number): void;
  setBigInt(a: JoinRingArray, i: number, value: bigint): void;
  /** Adds an integer (of any sign or size) into element i, modulo the ring. */
  addBigInt(a: JoinRingArray, i: number, value: bigint): void;
  fromBigInts(values: readonly bigint[]): JoinRingArray;
  /** The elements as unsigned bigints below 2^bits. */
  toBigInts(a: JoinRingArray): bigint[];
  add(a: JoinRingArray, b: JoinRingArray): JoinRingArray;
  subtract(a: JoinRingArray, b: JoinRingArray): JoinRingArray;
  /** a += b, in place; returns a. */
  addInto(a: JoinRingArray, b: JoinRingArray): JoinRingArray;
  /** a −= b, in place; returns a. */
  subtractInto(a: JoinRingArray, b: JoinRingArray): JoinRingArray;
  fromBytes(bytes: Uint8Array): JoinRingArray;
  bytes(a: JoinRingArray): Buffer;
  /** PRF elements [from, from + count) of a seed's stream. */
  prfRange(seed: Uint8Array, from: number, count: number): JoinRingArray;
  /** The PRF's stream read as a table `width` elements wide: the listed rows, in order. */
  prfRows(seed: Uint8Array, rows: ArrayLike<number>, width: number): JoinRingArray;
  outerProduct(u: JoinRingArray, v: JoinRingArray, shape: OuterShape): JoinRingArray;
  /** Rows of a table `width` elements wide, copied in the listed order. */
  gatherRows(source: JoinRingArray, rows: ArrayLike<number>, width: number): JoinRingArray;
  /** Fills `out` with the PRF's elements from `from` on, in place (`from` even). */
  prfInto(seed: Uint8Array, from: number, out: JoinRingArray): void;
  /** `out` becomes the listed rows of `source` less what `out` held, in place. */
  gatherMinus(source: JoinRingArray, rows: ArrayLike<number>, width: number, out: JoinRingArray): void;
  /** `out` becomes the listed rows of `source` plus what `out` held, in place. */
  gatherPlus(source: JoinRingArray, rows: ArrayLike<number>, width: number, out: JoinRingArray): void;
  /** An element (a sum of shares) as the signed integer it stands for. */
  signed(value: bigint): bigint;
}

const as32 = (a: JoinRingArray) => a as Uint32Array;
const as64 = (a: JoinRingArray) => a as Ring64Array;
const bytesOf = (a: JoinRingArray) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

export const RING_128: JoinRing = {
  bits: 128,
  elementBytes: 16,
  array: ringArray,
  length: (a) => ringLength(as32(a)),
  setNumber: (a, i, value) => setNumber(as32(a), i, value),
  setBigInt: (a, i, value) => setBigInt(as32(a), i, value),
  addBigInt: (a, i, value) => setBigInt(as32(a), i, getBigInt(as32(a), i) + value),
  fromBigInts,
  toBigInts: (a) => toBigInts(as32(a)),
  add: (a, b) => addRing(as32(a), as32(b)),
  subtract: (a, b) => subtractRing(as32(a), as32(b)),
  addInto: (a, b) => addRing(as32(a), as32(b), as32(a)),
  subtractInto: (a, b) => subtractRing(as32(a), as32(b), as32(a)),
  fromBytes: ringFromBytes,
  bytes: bytesOf,
  prfRange: prfRingRange,
  prfRows: prfRingRows,
  outerProduct: (u, v, shape) => outerProductRing(as32(u), as32(v), shape),
  gatherRows: (source, rows, width) => gatherRows(as32(source), rows, width),
  prfInto: (seed, from, out) => prfFill(seed, from, new Uint8Array(out.buffer, out.byteOffset, out.byteLength)),
  gatherMinus: (source, rows, width, out) => {
    subtractRing(gatherRows(as32(source), rows, width), as32(out), as32(out));
  },
  gatherPlus: (source, rows, width, out) => {
    addRing(gatherRows(as32(source), rows, width), as32(out), as32(out));
  },
  signed: (value) => BigInt.asIntN(128, value),
};

export const RING_64: JoinRing = {
  bits: 64,
  elementBytes: 8,
  array: ring64Array,
  length: (a) => a.length,
  setNumber: (a, i, value) => {
    as64(a)[i] = BigInt(value);
  },
  setBigInt: (a, i, value) => {
    as64(a)[i] = value;
  },
  addBigInt: (a, i, value) => {
    const array = as64(a);
    array[i] = (array[i] as bigint) + value;
  },
  fromBigInts: (values) => BigUint64Array.from(values, (v) => BigInt.asUintN(64, v)),
  toBigInts: (a) => Array.from(as64(a)),
  add: (a, b) => add64(as64(a), as64(b)),
  subtract: (a, b) => subtract64(as64(a), as64(b)),
  addInto: (a, b) => add64(as64(a), as64(b), as64(a)),
  subtractInto: (a, b) => subtract64(as64(a), as64(b), as64(a)),
  fromBytes: ring64FromBytes,
  bytes: bytesOf,
  prfRange: prf64Range,
  prfRows: prf64Rows,
  outerProduct: (u, v, shape) => outerProduct64(as64(u), as64(v), shape),
  gatherRows: (source, rows, width) => gatherRows64(as64(source), rows, width),
  prfInto: (seed, from, out) => {
    if (from % 2 !== 0) throw new RangeError("the 64-bit PRF is filled from an even element");
    prfFill(seed, from / 2, new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
  },
  gatherMinus: (source, rows, width, out) => gatherCombine64(as64(source), rows, width, as64(out), -1),
  gatherPlus: (source, rows, width, out) => gatherCombine64(as64(source), rows, width, as64(out), 1),
  signed: (value) => BigInt.asIntN(64, value),
};

export const joinRing = (bits: JoinRingBits): JoinRing => (bits === 64 ? RING_64 : RING_128);

/** The joined cells the two compute parties' shares stand for, as signed integers. */
export function addJoinShares(ring: JoinRing, a: readonly bigint[], b: readonly bigint[]): bigint[] {
  if (a.length !== b.length) throw new RangeError("shares of different lengths");
  return a.map((x, i) => ring.signed(x + (b[i] as bigint)));
}
