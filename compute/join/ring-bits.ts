import { joinedNoiseScales } from "../dp/noise.js";
import { measuresOf } from "../query/schema.js";
import type { JoinRingBits } from "./join-ring.js";
import { type JoinPlan, MAX_JOIN_KEYS } from "./plan.js";

/** What of a plan decides its ring. */
export type RingDeciding = Pick<JoinPlan, "query" | "valueScale" | "epsilonMicro"> & {
  parts: readonly { maxRowsPerKey: number }[];
};

/** Below this, a cell's every sum, noise included, reads back as its signed value in Z/2^64. */
const LIMIT_64 = 1n << 62n;
/**
 * Noise samples counted at this many times their scale: a discrete Laplace sample exceeds
 * (1 + v)·scale only when its geometric part v does, with probability e^−v (e^−127 here).
 */
const NOISE_SCALES = 128n;

/**
 * The ring a join computes in, which every party derives from the signed plan alone: Z/2^64 when the
 * plan's bounds prove no cell can reach 2^62 (every key an owner may bring, at every owner's row cap,
 * at the measure's bound, its square for a sum of squares, plus the three parties' noise at its
 * far tail), Z/2^128 otherwise (a sum with no bounds, or bounds too wide). Half the bytes and a
 * fraction of the arithmetic: the common case of counts, and sums of bounded amounts, takes 64.
 */
export function joinRingBits(plan: RingDeciding): JoinRingBits {
  const query = { ...plan.query, filters: [] };
  const caps = plan.parts.map((p) => p.maxRowsPerKey);
  const measures = measuresOf(query.aggregate);
  let bound = 1n;
  if (measures.some((m) => m !== "count")) {
    if (!query.bounds) return 128;
    const largest = Math.max(Math.abs(query.bounds.min), Math.abs(query.bounds.max)) * plan.valueScale;
    bound = BigInt(Math.ceil(largest));
  }
  const rows = BigInt(MAX_JOIN_KEYS) * caps.reduce((product, cap) => product * BigInt(cap), 1n);
  const scales = joinedNoiseScales(query, plan.valueScale, caps, plan.epsilonMicro);
  const largestCell = measures.map((measure, i) => {
    const magnitude = measure === "count" ? 1n : measure === "sum" ? bound : bound * bound;
    const scale = scales?.[i];
    const noise = scale ? 3n * NOISE_SCALES * ((scale.num + scale.den - 1n) / scale.den) : 0n;
    return rows * magnitude + noise;
  });
  return largestCell.every((cell) => cell < LIMIT_64) ? 64 : 128;
}
