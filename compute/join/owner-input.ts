import { randomBytes } from "node:crypto";
import { randomOrder } from "../../lib/shuffle.js";
import type { SealablePlaintext } from "../mpc/channel.js";
import { PRF_SEED_BYTES } from "../mpc/prf.js";
import type { JoinRing, JoinRingArray } from "./join-ring.js";
import type { KeyedFactors } from "./keyed-factors.js";
import { pseudonymsOf } from "./pseudonyms.js";
import { ownerInputLayout } from "./wire.js";

/** What an owner sends the helper: its keys' pseudonyms and their cells masked, in a fresh random order. */
export interface OwnerJoinInput {
  count: number;
  width: number;
  /** count × 16 bytes. */
  pseudonyms: Buffer;
  /** count × width ring elements: each cell minus the owner's mask PRF at its position. */
  masked: JoinRingArray;
}

/** What the owner keeps for the compute party that removes its mask: the PRF's seed. */
export interface OwnerJoinSecret {
  maskSeed: Buffer;
}

/**
 * An owner's input to a joined aggregate: its keys shuffled (so a position says nothing), each as
 * its pseudonym and its cells masked by a PRF whose seed goes, sealed, to the compute party that
 * removes the mask. The helper sees uniform elements; the mask holder sees nothing of these.
 */
export function ownerJoinInput(
  ring: JoinRing,
  factors: KeyedFactors,
  pseudonymKey: Uint8Array,
): { input: OwnerJoinInput; secret: OwnerJoinSecret; message: SealablePlaintext } {
  const { width } = factors;
  const count = factors.keys.length;
  if (ring.length(factors.cells) !== count * width) throw new RangeError("the cells are not in this join's ring");
  const order = randomOrder(count);
  // Written where the message to the helper holds them (`wire.ts`): nothing is copied to send it.
  const layout = ownerInputLayout(ring, count, width);
  pseudonymsOf(
    pseudonymKey,
    Array.from(order, (i) => factors.keys[i] as string),
    layout.pseudonyms,
  );
  const maskSeed = randomBytes(PRF_SEED_BYTES);
  ring.prfInto(maskSeed, 0, layout.masked);
  ring.gatherMinus(factors.cells, order, width, layout.masked);
  return {
    input: { count, width, pseudonyms: layout.pseudonyms, masked: layout.masked },
    secret: { maskSeed },
    message: layout.message,
  };
}
