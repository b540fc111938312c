import type { OuterProductShape } from "./beaver.js";

/**
 * The multiplications a joined aggregate of n owners' factors takes, in order: a fold from the
 * right, F0 ⊗ (F1 ⊗ (… ⊗ Fn−1)), each row by row except the last, which is summed over the joined
 * rows. Folding from the right keeps the per-row products small when the trailing owners only
 * filter (one count each). The result is laid out as the factors' outer product: F0's cell most
 * significant, which is why the group-by owner comes first and the measure's owner next.
 */
export function foldShapes(widths: readonly number[], rows: number): OuterProductShape[] {
  if (widths.length < 2) throw new RangeError("a join needs at least two owners");
  const shapes: OuterProductShape[] = [];
  let q = widths[widths.length - 1] as number;
  for (let owner = widths.length - 2; owner >= 0; owner--) {
    const p = widths[owner] as number;
    shapes.push({ rows, p, q, aggregated: owner === 0 });
    q *= p;
  }
  return shapes;
}

/** The compute party that holds owner i's mask seed: never the owner itself, so no owner learns which of its keys joined. */
export const maskHolder = (owner: number): 0 | 1 => (owner === 0 ? 1 : 0);

/**
 * Which of a multiplication's operands party `party` holds a share of that the helper dealt itself
 * (the re-randomised masked cells of an owner whose mask the other party removes). For such an
 * operand the helper makes the party's share of the triple's α (or β) that very share, so the
 * party's share of the opening d = U − α (or e) is zero and is not sent: the other party's share,
 * masked by its own share of α, which only it and the helper hold, is the whole opening.
 */
export function dealtOperands(owners: number, step: number, party: 0 | 1): { left: boolean; right: boolean } {
  const left = owners - 2 - step;
  return {
    left: maskHolder(left) !== party,
    right: step === 0 && maskHolder(owners - 1) !== party,
  };
}
