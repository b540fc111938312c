import { randomInt } from "node:crypto";

/**
 * A uniformly random permutation of `count` items by Fisher–Yates with node:crypto's unbiased
 * randomInt: `swap(i, j)` exchanges two positions of whatever the caller keeps in step.
 */
export function shuffle(count: number, swap: (i: number, j: number) => void): void {
  for (let i = count - 1; i > 0; i--) swap(i, randomInt(i + 1));
}

/** The positions 0 … count − 1 in a uniformly random order. */
export function randomOrder(count: number): Uint32Array {
  const order = Uint32Array.from({ length: count }, (_, i) => i);
  shuffle(count, (i, j) => {
    const kept = order[i] as number;
    order[i] = order[j] as number;
    order[j] = kept;
  });
  return order;
}
