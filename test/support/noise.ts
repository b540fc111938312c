/** The noise a released result states: each party's scale per measure. */
interface StatedNoise {
  parties: number;
  scalePerParty: Record<string, number>;
}

/**
 * How far a noisy release may honestly be from the exact value: `sigmas` standard deviations of the
 * sum of each party's discrete Laplace sample (variance ≈ 2·scale² each). At 8 σ a correct release
 * falls outside once in many millions of runs, while a wrong computation (a row lost, a share
 * misadded) lands far beyond.
 */
export function noiseTolerance(noise: unknown, measure: "count" | "sum", sigmas = 8): number {
  const { parties, scalePerParty } = noise as StatedNoise;
  const scale = scalePerParty[measure];
  if (typeof scale !== "number" || !(parties > 0)) throw new Error(`the release states no ${measure} noise`);
  return sigmas * noiseStandardDeviation(parties, scale);
}

/** The standard deviation of one released number: each party's discrete Laplace sample of `scale` has variance ≈ 2·scale². */
export function noiseStandardDeviation(parties: number, scale: number): number {
  return Math.sqrt(parties * 2 * scale * scale);
}
