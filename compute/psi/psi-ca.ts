import { membershipIn, newBlindingKey, POINT_BYTES } from "./blind.js";
import type { PsiPool } from "./pool.js";
import { shufflePoints } from "./shuffle.js";

// ECDH-PSI between an operator (set X) and an owner (set Y), after Huberman, Franklin and Hogg
// (1999) and as deployed in Google's Private Join and Compute (Ion et al., 2020), on the prime-order
// group of blind.ts, with fresh exponents a (operator) and b (owner) per job:
//   1. operator → owner: H(x)^a for every x, in chunks;
//   2. owner → operator: H(x)^ab, shuffled over the whole set for the size (so no position says which
//      x matched), or in order for membership (which the scenario must allow);
//   3. owner → operator: H(y)^b for every y, shuffled;
//   4. operator: H(y)^ba for each, and counts (or marks) the x whose H(x)^ab is among them.
// Each side sees only the other's points raised to a secret exponent: under DDH on the group, the
// owner learns |X| and nothing of X; the operator learns |Y| and the size (or membership) only.

export type PsiOutput = "size" | "membership";
export const DEFAULT_CHUNK = 4096;

/** Called as chunks finish: how many items are done of how many. */
export type ChunkProgress = (done: number, total: number) => void;

/** Runs chunk jobs on the pool, a few at a time so every worker stays busy, results in input order. */
async function mapChunks<T>(
  count: number,
  concurrency: number,
  work: (index: number) => Promise<T>,
  onChunk?: (index: number) => void,
): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      const index = next++;
      results[index] = await work(index);
      onChunk?.(index);
    }
  });
  await Promise.all(lanes);
  return results;
}

const chunksOf = (length: number, size: number) => Math.ceil(length / size);

/** Step 1, either party: its own identifiers hashed and raised to its exponent, in order. */
export async function blindAll(
  identifiers: readonly string[],
  key: Buffer,
  pool: PsiPool,
  chunk = DEFAULT_CHUNK,
  onProgress?: ChunkProgress,
) {
  const total = identifiers.length;
  let done = 0;
  const parts = await mapChunks(
    chunksOf(total, chunk),
    pool.size * 2,
    (i) => pool.blindOwn(identifiers.slice(i * chunk, (i + 1) * chunk), key),
    (i) => {
      done += Math.min(chunk, total - i * chunk);
      onProgress?.(done, total);
    },
  );
  return Buffer.concat(parts);
}

/** Steps 2 and 4: the peer's points, checked and raised to this party's exponent, in order. */
export async function reblindAll(
  points: Buffer,
  key: Buffer,
  pool: PsiPool,
  chunk = DEFAULT_CHUNK,
  onProgress?: ChunkProgress,
  /** The position of the first point among all the peer sent, so a refusal names the right one. */
  firstIndex = 0,
) {
  const count = points.length / POINT_BYTES;
  let done = 0;
  const parts = await mapChunks(
    chunksOf(count, chunk),
    pool.size * 2,
    (i) =>
      pool.blindPeer(
        points.subarray(i * chunk * POINT_BYTES, (i + 1) * chunk * POINT_BYTES),
        key,
        firstIndex + i * chunk,
      ),
    (i) => {
      done += Math.min(chunk, count - i * chunk);
      onProgress?.(done, count);
    },
  );
  return Buffer.concat(parts);
}

/** The owner's side: its exponent, its blinded set (shuffled), and the operator's points raised. */
export class PsiOwnerSession {
  private readonly key = newBlindingKey();
  constructor(
    private readonly pool: PsiPool,
    private readonly chunk = DEFAULT_CHUNK,
  ) {}

  async ownSet(identifiers: readonly string[]): Promise<Buffer> {
    return shufflePoints(await blindAll(identifiers, this.key, this.pool, this.chunk));
  }

  async answer(operatorPoints: Buffer, output: PsiOutput): Promise<Buffer> {
    const raised = await reblindAll(operatorPoints, this.key, this.pool, this.chunk);
    return output === "size" ? shufflePoints(raised) : raised;
  }
}

/** The operator's side: its exponent, its blinded identifiers, and the comparison. */
export class PsiOperatorSession {
  private readonly key = newBlindingKey();
  constructor(
    private readonly pool: PsiPool,
    private readonly chunk = DEFAULT_CHUNK,
  ) {}

  blind(identifiers: readonly string[]): Promise<Buffer> {
    return blindAll(identifiers, this.key, this.pool, this.chunk);
  }

  /** For each of the owner's answers (H(x)^ab), whether it is among the owner's set raised (H(y)^ba). */
  async matches(answers: Buffer, ownerSet: Buffer): Promise<boolean[]> {
    return membershipIn(answers, await reblindAll(ownerSet, this.key, this.pool, this.chunk));
  }
}

/** Both sides in one process, as the tests and the benchmark run them: the size, or each x's membership. */
export async function runPsi(
  operatorIds: readonly string[],
  ownerIds: readonly string[],
  output: PsiOutput,
  pool: PsiPool,
  chunk = DEFAULT_CHUNK,
): Promise<{ size: number; membership?: boolean[] }> {
  const operator = new PsiOperatorSession(pool, chunk);
  const owner = new PsiOwnerSession(pool, chunk);
  const [blinded, ownerSet] = await Promise.all([operator.blind(operatorIds), owner.ownSet(ownerIds)]);
  const answers = await owner.answer(blinded, output);
  const matches = await operator.matches(answers, ownerSet);
  const size = matches.filter(Boolean).length;
  return output === "membership" ? { size, membership: matches } : { size };
}
