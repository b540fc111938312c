import { POINT_BYTES } from "./blind.js";
import type { PsiPool } from "./pool.js";

// A party's share of ECDH-PSI's work (the protocol is in compute/README.md): its own identifiers
// hashed and raised to its exponent, or the peer's points checked and raised, a chunk of the pool's
// at a time on every worker, results in order.

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
