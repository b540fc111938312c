import { type NoiseScale, noiseScales } from "../../compute/dp/noise.js";
import type { AggregateQuery } from "../../compute/query/schema.js";

/** What the operator (and an auditor) is told about the noise in a result; the noise itself stays unknown. */
export function describeNoise(
  query: AggregateQuery,
  valueScale: number,
  owners: number,
  parties: number,
  epsilonMicro: number,
) {
  return describeNoiseScales(noiseScales(query, valueScale, owners, epsilonMicro), valueScale, parties, epsilonMicro);
}

/** The same from the scales every party used, in the measured field's unit. */
export function describeNoiseScales(
  scales: NoiseScale[] | null,
  valueScale: number,
  parties: number,
  epsilonMicro: number,
) {
  if (!scales) return { mechanism: "none" as const, epsilon: 0 };
  return {
    mechanism: "discrete-laplace" as const,
    epsilon: epsilonMicro / 1_000_000,
    /** Every party adds one sample per number; the release is ε-DP while any one party is honest. */
    parties,
    scalePerParty: Object.fromEntries(
      scales.map((s) => [
        s.measure,
        Number(s.num) /
          Number(s.den) /
          (s.measure === "sumOfSquares" ? valueScale * valueScale : s.measure === "sum" ? valueScale : 1),
      ]),
    ),
  };
}
