import { ComputeError } from "../errors.js";
import { type AggregateQuery, measuresOf } from "../query/schema.js";
import { sampleDiscreteLaplace } from "./discrete-laplace.js";

/** A discrete Laplace scale as an exact fraction: P(x) ∝ exp(−|x|·den/num). */
export interface NoiseScale {
  measure: "count" | "sum" | "sumOfSquares";
  num: bigint;
  den: bigint;
}

const MICRO = 1_000_000n;

function scaledBound(value: number, valueScale: number): bigint {
  return BigInt(Math.sign(value) * Math.round(Math.abs(value) * valueScale));
}

/**
 * The noise every party adds to each cell, per measure, so that its noise alone makes the release
 * ε-differentially private: ε is split evenly between the measures (sequential composition); within
 * a measure, cells are disjoint (parallel composition); the sensitivity of a measure is what one row
 * can change it by (1 for a count, the larger bound for a sum, its square for a sum of squares),
 * times the number of owners, as one entity may have a row at each. Null when ε is 0.
 */
export function noiseScales(
  query: AggregateQuery,
  valueScale: number,
  owners: number,
  epsilonMicro: number,
): NoiseScale[] | null {
  if (epsilonMicro === 0) return null;
  const measures = measuresOf(query.aggregate);
  const needsBounds = measures.some((m) => m !== "count");
  if (needsBounds && !query.bounds) {
    throw new ComputeError(
      "query_invalid",
      `a ${query.aggregate} under differential privacy needs bounds on the measured field`,
    );
  }
  const largest = query.bounds
    ? [scaledBound(query.bounds.min, valueScale), scaledBound(query.bounds.max, valueScale)]
        .map((b) => (b < 0n ? -b : b))
        .reduce((a, b) => (a > b ? a : b))
    : 0n;
  return measures.map((measure) => {
    const sensitivity = measure === "count" ? 1n : measure === "sum" ? largest : largest * largest;
    const num = (sensitivity === 0n ? 1n : sensitivity) * BigInt(owners) * BigInt(measures.length) * MICRO;
    return { measure, num, den: BigInt(epsilonMicro) };
  });
}

/** Adds one fresh discrete Laplace sample to every number of the vector, as its measure's scale says. */
export function addNoise(vector: readonly bigint[], scales: NoiseScale[] | null): bigint[] {
  if (!scales) return [...vector];
  return vector.map((value, i) => {
    const scale = scales[i % scales.length] as NoiseScale;
    return value + sampleDiscreteLaplace(scale.num, scale.den);
  });
}

/**
 * The noise of a joined aggregate: one entity is one key, whose rows at every owner multiply in the
 * join, so its effect is the single-row sensitivity times the product of the owners' per-key row caps.
 */
export function joinedNoiseScales(
  query: AggregateQuery,
  valueScale: number,
  maxRowsPerKey: readonly number[],
  epsilonMicro: number,
): NoiseScale[] | null {
  const rows = BigInt(maxRowsPerKey.reduce((product, cap) => product * cap, 1));
  return noiseScales(query, valueScale, 1, epsilonMicro)?.map((scale) => ({ ...scale, num: scale.num * rows })) ?? null;
}
