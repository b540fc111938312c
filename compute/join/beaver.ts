import { addRing, type OuterShape, outerProductRing, type RingArray, subtractRing } from "./ring-array.js";

// Beaver's multiplication of secret-shared values (Beaver, "Efficient Multiparty Protocols Using
// Circuit Randomization", CRYPTO 1991), between two compute parties over Z/2^128, for the outer
// product of two shared tables of M rows (p and q wide): the helper deals a triple α, β, γ = α ⊗ β
// in shares; each party opens d = U − α and e = V − β (uniform, as α and β are), and
// U ⊗ V = γ + d ⊗ β + α ⊗ e + d ⊗ e, which each party computes on its shares, the d ⊗ e term once.
// With `aggregated`, γ and the result are the sum over the M rows: a p × q table, not M of them.

export type OuterProductShape = OuterShape;

/** The elements a triple's γ holds for this shape. */
export const gammaLength = ({ rows, p, q, aggregated }: OuterProductShape) => (aggregated ? p * q : rows * p * q);

export interface TripleShares {
  alpha: RingArray;
  beta: RingArray;
  gamma: RingArray;
}

/** A party's opening shares: its share of d = U − α and of e = V − β. */
export function openingShares(u: RingArray, v: RingArray, triple: TripleShares) {
  return { d: subtractRing(u, triple.alpha), e: subtractRing(v, triple.beta) };
}

/** A party's share of U ⊗ V from the opened d and e; party 0 adds d ⊗ e. */
export function productShare(
  party: 0 | 1,
  triple: TripleShares,
  opened: { d: RingArray; e: RingArray },
  shape: OuterProductShape,
): RingArray {
  let share = addRing(triple.gamma, outerProductRing(opened.d, triple.beta, shape));
  share = addRing(share, outerProductRing(triple.alpha, opened.e, shape));
  return party === 0 ? addRing(share, outerProductRing(opened.d, opened.e, shape)) : share;
}
