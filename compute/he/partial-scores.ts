import { contextFor } from "./seal.js";
import { CiphertextError, MAX_CIPHERTEXT_CHARS, uncompressed } from "./vectors.js";

// A vertical score is the sum of the owners' partial scores: each owner weighs its own features
// under the operator's key, and their ciphertexts, slot-aligned on the same ids, are added here
// without being opened. Every SEAL object is freed on every path.

const PARAM_SET = "ckks-8192";

type Deletable = { delete(): void } | undefined;
const free = (...objects: Deletable[]) => {
  for (const object of objects) object?.delete();
};

/**
 * Adds the owners' partial scores batch by batch: `parts[o][b]` is owner o's batch b. Every
 * ciphertext must be a scoring result (two components, not transparent, on the last prime) and
 * all of one batch at one scale, so the sum decrypts to the sum of the scores.
 */
export async function addPartialScores(parts: readonly (readonly string[])[]): Promise<string[]> {
  if (parts.length < 2) throw new CiphertextError("a vertical score adds the parts of at least two owners");
  const batches = parts[0]?.length ?? 0;
  if (parts.some((p) => p.length !== batches)) {
    throw new CiphertextError("the owners' partial scores do not hold the same number of batches");
  }
  const { seal, context } = await contextFor(PARAM_SET);
  const evaluator = seal.Evaluator(context);
  const last = context.lastParmsId;
  const mode = uncompressed(seal);
  try {
    return Array.from({ length: batches }, (_, b) => {
      const loaded: Deletable[] = [];
      try {
        const ciphers = parts.map((part, o) => {
          const text = part[b] as string;
          const name = `batch ${b} of part ${o}`;
          if (text.length > MAX_CIPHERTEXT_CHARS) {
            throw new CiphertextError(`${name} is larger than ${MAX_CIPHERTEXT_CHARS} characters`);
          }
          const cipher = seal.CipherText();
          loaded.push(cipher);
          try {
            cipher.load(context, text);
          } catch (cause) {
            throw new CiphertextError(`${name} is not a ${PARAM_SET} ciphertext: ${String(cause).slice(0, 200)}`, {
              cause,
            });
          }
          if (cipher.size !== 2) throw new CiphertextError(`${name} has ${cipher.size} components; a score has 2`);
          if (cipher.isTransparent) throw new CiphertextError(`${name} is transparent: it encrypts nothing`);
          const parms = cipher.parmsId;
          const onLast = parms.values.every((v, i) => v === last.values[i]);
          parms.delete();
          if (!onLast) throw new CiphertextError(`${name} is not on the last prime, where scores are`);
          return cipher;
        });
        const [first, ...rest] = ciphers as [NonNullable<(typeof ciphers)[0]>, ...typeof ciphers];
        if (rest.some((c) => c.scale !== first.scale)) {
          throw new CiphertextError(`the parts of batch ${b} are at different scales: they were not scored alike`);
        }
        const sum = first.clone();
        loaded.push(sum);
        for (const cipher of rest) evaluator.add(sum, cipher, sum);
        return sum.save(mode);
      } finally {
        free(...loaded);
      }
    });
  } finally {
    free(evaluator, last);
  }
}
