import type { JoinRing, JoinRingArray } from "./join-ring.js";
import type { OuterShape } from "./ring-array.js";

// Beaver's multiplication of secret-shared values (Beaver, "Efficient Multiparty Protocols Using
// Circuit Randomization", CRYPTO 1991), between two compute parties over the join's ring, for the outer
// product of two shared tables of M rows (p and q wide): the helper deals a triple α, β, γ = α ⊗ β
// in shares; each party opens d = U − α and e = V − β (uniform, as α and β are), and
// U ⊗ V = γ + d ⊗ β + α ⊗ e + d ⊗ e, which each party computes on its shares, the d ⊗ e term once.
// With `aggregated`, γ and the result are the sum over the M rows: a p × q table, not M of them.

export type OuterProductShape = OuterShape;

/** The elements a triple's γ holds for this shape. */
export const gammaLength = ({ rows, p, q, aggregated }: OuterProductShape) => (aggregated ? p * q : rows * p * q);

export interface TripleShares {
  alpha: JoinRingArray;
  beta: JoinRingArray;
  gamma: JoinRingArray;
}

/**
 * A party's opening shares: its share of d = U − α and of e = V − β, each empty where the party's
 * share of α (β) is its share of U (V), which makes its share of the opening zero.
 */
export function openingShares(
  ring: JoinRing,
  u: JoinRingArray,
  v: JoinRingArray,
  triple: TripleShares,
  zero: { left: boolean; right: boolean },
) {
  return {
    d: zero.left ? ring.array(0) : ring.subtract(u, triple.alpha),
    e: zero.right ? ring.array(0) : ring.subtract(v, triple.beta),
  };
}

/**
 * A party's share of U ⊗ V from the opened d and e: γ + d ⊗ β + α ⊗ e, and party 0 adds d ⊗ e,
 * which it folds into its first product as d ⊗ (β + e), one outer product fewer.
 */
export function productShare(
  ring: JoinRing,
  party: 0 | 1,
  triple: TripleShares,
  opened: { d: JoinRingArray; e: JoinRingArray },
  shape: OuterProductShape,
): JoinRingArray {
  const right = party === 0 ? ring.add(triple.beta, opened.e) : triple.beta;
  const share = ring.add(triple.gamma, ring.outerProduct(opened.d, right, shape));
  return ring.add(share, ring.outerProduct(triple.alpha, opened.e, shape));
}
