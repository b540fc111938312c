import { createCipheriv } from "node:crypto";
import { ComputeError } from "../errors.js";
import { PSEUDONYM_BYTES } from "./pseudonyms.js";

const WORDS = PSEUDONYM_BYTES / 4;

/**
 * The positions of one party's pseudonyms, found by the pseudonym itself: an open-addressing
 * table over typed arrays, so that millions of them cost no string or object each. The table holds
 * the pseudonyms under a permutation only the helper knows (AES-128 under a key of the job's, one
 * pass over all of them), and a slot is the permuted value's first word: a party that crafts its
 * pseudonyms cannot aim them at one slot and make the helper's lookups quadratic. Equal pseudonyms
 * stay equal under it, so a pseudonym sent twice is refused.
 */
export class PseudonymIndex {
  readonly count: number;
  /** The permuted pseudonyms as 32-bit words, four each, in the order sent. */
  readonly words: Uint32Array;
  private readonly slots: Int32Array;
  private readonly mask: number;

  /** `key`: the helper's 16-byte key for the job, the same for every party's index and lookup. */
  constructor(pseudonyms: Uint8Array, count: number, who: string, key: Uint8Array) {
    if (pseudonyms.length !== count * PSEUDONYM_BYTES)
      throw new ComputeError("query_invalid", `${who} sent ${pseudonyms.length} bytes of pseudonyms for ${count} keys`);
    this.count = count;
    this.words = permuted(pseudonyms, key);
    let size = 2;
    while (size < count * 2) size *= 2;
    this.slots = new Int32Array(size).fill(-1);
    this.mask = size - 1;
    for (let i = 0; i < count; i++) {
      let slot = this.slotOf(this.words, i);
      for (;;) {
        const held = this.slots[slot] as number;
        if (held < 0) break;
        if (this.equal(held, this.words, i)) throw new ComputeError("query_invalid", `${who} sent the same key twice`);
        slot = (slot + 1) & this.mask;
      }
      this.slots[slot] = i;
    }
  }

  /** The position of pseudonym `at` of `words` (another index's, permuted under the same key) here, or −1. */
  positionOf(words: Uint32Array, at: number): number {
    let slot = this.slotOf(words, at);
    for (;;) {
      const held = this.slots[slot] as number;
      if (held < 0 || this.equal(held, words, at)) return held;
      slot = (slot + 1) & this.mask;
    }
  }

  private slotOf(words: Uint32Array, at: number): number {
    return (words[at * WORDS] as number) & this.mask;
  }

  private equal(mine: number, words: Uint32Array, at: number): boolean {
    const a = mine * WORDS;
    const b = at * WORDS;
    const own = this.words;
    return (
      own[a] === words[b] && own[a + 1] === words[b + 1] && own[a + 2] === words[b + 2] && own[a + 3] === words[b + 3]
    );
  }
}

function permuted(pseudonyms: Uint8Array, key: Uint8Array): Uint32Array {
  const cipher = createCipheriv("aes-128-ecb", key, null).setAutoPadding(false);
  const words = new Uint32Array(pseudonyms.length / 4);
  const bytes = new Uint8Array(words.buffer);
  const first = cipher.update(pseudonyms);
  bytes.set(first);
  bytes.set(cipher.final(), first.length);
  return words;
}
