import { readFileSync, writeFileSync } from "node:fs";
import { z } from "zod";
import type { Release } from "../compute/dp/release.js";
import { releaseCells } from "../compute/dp/release.js";
import { fingerprintOf, type HeKeyFile } from "../compute/he/keys.js";
import { type HeParameterSetId, heParameterSetSchema } from "../compute/he/params.js";
import { decryptScores } from "../compute/he/scoring.js";
import { decryptVector } from "../compute/he/vectors.js";
import { type AggregateQuery, vectorLength } from "../compute/query/schema.js";
import { parseWith } from "../lib/validate.js";

export { generateHeKeys, type HeKeyFile, type HePublicKeys, publicPartOf } from "../compute/he/keys.js";
export { HE_PARAMETER_SETS, type HeParameterSetId } from "../compute/he/params.js";
export { encryptScoringModel } from "../compute/he/scoring.js";
export { type EncryptedModel, plainScore, type ScoringModel } from "../compute/he/scoring-model.js";

const heKeyFileSchema = z.object({
  kind: z.literal("sluice-he-keys"),
  paramSet: heParameterSetSchema,
  publicKey: z.string().min(1),
  relinKeys: z.string().min(1).optional(),
  galoisKeys: z.string().min(1).optional(),
  secretKey: z.string().min(1),
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
});

/** Writes a key set to a file only its owner can read (0600); refuses to overwrite one. */
export function writeHeKeyFile(file: string, keys: HeKeyFile): void {
  writeFileSync(file, `${JSON.stringify(keys)}\n`, { mode: 0o600, flag: "wx" });
}

/** Reads a key set written by writeHeKeyFile, checking that its fingerprint still matches its keys. */
export function readHeKeyFile(file: string): HeKeyFile {
  const keys = parseWith(heKeyFileSchema, JSON.parse(readFileSync(file, "utf8")), `homomorphic key file ${file}`);
  if (fingerprintOf(keys) !== keys.fingerprint)
    throw new Error(`homomorphic key file ${file}: the fingerprint does not match the keys`);
  return keys;
}

interface EncryptedResult {
  query: AggregateQuery;
  minGroupSize: number;
  encrypted: { paramSet: HeParameterSetId; ciphertext: string; valueScale: number; fingerprint?: string };
}

/**
 * Opens an encrypted job result on the operator's machine with its secret key, and labels the cells
 * as the gateway would (cells below k are withheld here too).
 */
export async function decryptJobResult(result: EncryptedResult, keys: HeKeyFile): Promise<Release> {
  const { encrypted } = result;
  if (encrypted.fingerprint && encrypted.fingerprint !== keys.fingerprint) {
    throw new Error(`this result is encrypted for key set ${encrypted.fingerprint}, not ${keys.fingerprint}`);
  }
  const vector = await decryptVector(
    encrypted.paramSet,
    keys.secretKey,
    encrypted.ciphertext,
    vectorLength(result.query),
  );
  return releaseCells(result.query, vector, result.minGroupSize, encrypted.valueScale);
}

/**
 * Opens a scoring job's result on the operator's machine: each scored id with its score, and the
 * ids the owner does not hold. Scores carry CKKS's approximation error (below 10⁻⁴ for scores of
 * the size the README states) and, when the job asked ε > 0, the owner's noise on the features.
 */
export async function decryptScoringResult(
  result: {
    encrypted: { fingerprint: string; ids: string[]; missing: string[]; ciphertexts: string[]; outputScale?: number };
  },
  keys: HeKeyFile,
): Promise<{ scores: { id: string; score: number }[]; missing: string[] }> {
  const { encrypted } = result;
  if (encrypted.fingerprint !== keys.fingerprint) {
    throw new Error(`these scores are encrypted for key set ${encrypted.fingerprint}, not ${keys.fingerprint}`);
  }
  const values = await decryptScores(keys, encrypted.ciphertexts, encrypted.ids.length, encrypted.outputScale ?? 1);
  return {
    scores: encrypted.ids.map((id, i) => ({ id, score: values[i] as number })),
    missing: encrypted.missing,
  };
}
