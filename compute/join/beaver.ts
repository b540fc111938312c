// Beaver's multiplication of secret-shared values (Beaver, "Efficient Multiparty Protocols Using
// Circuit Randomization", CRYPTO 1991), between two compute parties over Z/2^128, for the outer
// product of two shared tables of M rows (p and q wide): the helper deals a triple α, β, γ = α ⊗ β
// in shares; each party opens d = U − α and e = V − β (uniform, as α and β are), and
// U ⊗ V = γ + d ⊗ β + α ⊗ e + d ⊗ e, which each party computes on its shares, the d ⊗ e term once.
// With `aggregated`, γ and the result are the sum over the M rows: a p × q table, not M of them.

const MASK = (1n << 128n) - 1n;

export interface OuterProductShape {
  rows: number;
  p: number;
  q: number;
  aggregated: boolean;
}

/** The elements a triple's γ holds for this shape. */
export const gammaLength = ({ rows, p, q, aggregated }: OuterProductShape) => (aggregated ? p * q : rows * p * q);

/** The outer product row by row (or its sum over rows), mod 2^128: the helper's γ = α ⊗ β. */
export function outerProduct(u: readonly bigint[], v: readonly bigint[], shape: OuterProductShape): bigint[] {
  const { rows, p, q, aggregated } = shape;
  const out = new Array<bigint>(gammaLength(shape)).fill(0n);
  for (let m = 0; m < rows; m++) {
    const base = aggregated ? 0 : m * p * q;
    for (let x = 0; x < p; x++) {
      const ux = u[m * p + x] as bigint;
      for (let y = 0; y < q; y++) {
        const at = base + x * q + y;
        out[at] = ((out[at] as bigint) + ux * (v[m * q + y] as bigint)) & MASK;
      }
    }
  }
  return out;
}

export function subtract(a: readonly bigint[], b: readonly bigint[]): bigint[] {
  if (a.length !== b.length) throw new RangeError("shares of different lengths");
  return a.map((x, i) => (x - (b[i] as bigint)) & MASK);
}

export function add(a: readonly bigint[], b: readonly bigint[]): bigint[] {
  if (a.length !== b.length) throw new RangeError("shares of different lengths");
  return a.map((x, i) => (x + (b[i] as bigint)) & MASK);
}

export interface TripleShares {
  alpha: bigint[];
  beta: bigint[];
  gamma: bigint[];
}

/** A party's opening shares: its share of d = U − α and of e = V − β. */
export function openingShares(u: readonly bigint[], v: readonly bigint[], triple: TripleShares) {
  return { d: subtract(u, triple.alpha), e: subtract(v, triple.beta) };
}

/** A party's share of U ⊗ V from the opened d and e; party 0 adds d ⊗ e. */
export function productShare(
  party: 0 | 1,
  triple: TripleShares,
  opened: { d: readonly bigint[]; e: readonly bigint[] },
  shape: OuterProductShape,
): bigint[] {
  let share = add(triple.gamma, outerProduct(opened.d, triple.beta, shape));
  share = add(share, outerProduct(triple.alpha, opened.e, shape));
  return party === 0 ? add(share, outerProduct(opened.d, opened.e, shape)) : share;
}
