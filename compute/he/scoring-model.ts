import { z } from "zod";
import { canonicalHash } from "../../lib/canonical-json.js";
import { SluiceError } from "../../lib/errors.js";
import { MAX_CIPHERTEXT_CHARS } from "./vectors.js";

/** The most features one model may weigh, and the most entity ids one scoring job may name. */
export const MAX_SCORING_FEATURES = 32;
export const MAX_SCORING_IDS = 200_000;
/** Records per batch, and scores per ciphertext: the slots of ckks-8192 (n / 2). */
export const SCORES_PER_CIPHERTEXT = 4096;

/**
 * CKKS scales of encrypted scoring: the operator encrypts its coefficients at 2^40; owners encode
 * their features at 2^35. A linear score is then w·x at scale 2^75 on two primes (100 bits) before
 * its rescale, a quadratic one (w·x)(v·x) at about 2^70: either way |score| must stay below 2^23
 * (about 8.4 million) or it wraps. Both land at scale 2^30 or more on the last prime.
 */
export const COEFFICIENT_SCALE = 2 ** 40;
export const FEATURE_SCALE = 2 ** 35;
export const MAX_SCORE_MAGNITUDE = 2 ** 23;

const ciphertext = z.string().min(1).max(MAX_CIPHERTEXT_CHARS);

/** w·x + b, each coefficient alone in a ciphertext that holds it in every slot (column packing). */
export const encryptedLinearFormSchema = z.object({
  weights: z.array(ciphertext).min(1).max(MAX_SCORING_FEATURES),
  bias: ciphertext,
});

/**
 * A model as it travels: linear, score = w·x + b; or quadratic, score = c + (w·x + b)(v·x + d),
 * which holds any degree-2 polynomial of a linear score (a logistic approximation, for one).
 * The owner sees how many coefficients there are and nothing of their values. `outputScale` is
 * the power of two the operator multiplied its model by so that its scores use CKKS's range: the
 * error is absolute (about 2^-30 · Σ|x_j|), so a model scaled up by 2^k is 2^k times as precise;
 * the operator divides the decrypted scores by it.
 */
const outputScale = z
  .number()
  .int()
  .min(1)
  .max(2 ** 22)
  .refine((n) => Number.isInteger(Math.log2(n)), "a power of two")
  .default(1);

export const encryptedModelSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("linear"),
    paramSet: z.literal("ckks-8192"),
    outputScale,
    form: encryptedLinearFormSchema,
  }),
  z.object({
    kind: z.literal("quadratic"),
    paramSet: z.literal("ckks-8192"),
    outputScale,
    forms: z.tuple([encryptedLinearFormSchema, encryptedLinearFormSchema]),
    constant: ciphertext,
  }),
]);
export type EncryptedModel = z.infer<typeof encryptedModelSchema>;
export type ModelKind = EncryptedModel["kind"];

/** The linear forms of a model, in order: one for linear, two for quadratic. */
export function formsOf(model: EncryptedModel) {
  return model.kind === "linear" ? [model.form] : model.forms;
}

/** How many features the model weighs; every form must weigh the same number. */
export function featureCountOf(model: EncryptedModel): number {
  const counts = new Set(formsOf(model).map((f) => f.weights.length));
  if (counts.size !== 1) return -1;
  return [...counts][0] as number;
}

/**
 * Each owner's share of a linear model: the weights of its own features, in order, and the bias,
 * which only the first part adds. The ciphertexts are the operator's own; the gateway only picks.
 */
export function partModels(model: EncryptedModel, parts: readonly { features: readonly string[] }[]): EncryptedModel[] {
  if (model.kind !== "linear") {
    throw new SluiceError(
      "not_executable",
      "a vertical score takes a linear model: a product of linear forms needs each record's whole linear score, which no owner holds (apply your link function after decrypting)",
    );
  }
  let start = 0;
  return parts.map((part) => {
    const weights = model.form.weights.slice(start, start + part.features.length);
    start += part.features.length;
    return { ...model, form: { weights, bias: model.form.bias } };
  });
}

/** What the gateway signs in the plan instead of the megabytes themselves. */
export function modelDigest(model: EncryptedModel): string {
  return canonicalHash(model);
}

export function idsDigest(ids: readonly string[]): string {
  return canonicalHash(ids);
}

/** A model in the clear, on the operator's machine only. */
export interface ScoringModel {
  features: string[];
  weights: number[];
  bias: number;
  /** [a0, a1, a2]: score = a0 + a1·z + a2·z² of the linear score z = w·x + b. */
  polynomial?: [number, number, number];
  /**
   * The largest |score| expected. Given, the model is scaled up by the largest power of two that
   * keeps it below 2^22, which makes every score that much more precise; a score beyond it wraps.
   */
  maxAbsScore?: number;
}

/** The power of two a model is scaled up by for its expected largest score (1 when none is given). */
export function outputScaleFor(maxAbsScore: number | undefined): number {
  if (maxAbsScore === undefined) return 1;
  if (!(maxAbsScore > 0) || !Number.isFinite(maxAbsScore)) throw new RangeError("maxAbsScore must be positive");
  return 2 ** Math.max(0, Math.min(22, Math.floor(Math.log2(MAX_SCORE_MAGNITUDE / 2 / maxAbsScore))));
}

/** The score a model gives one record, in plain: what the encrypted computation approximates. */
export function plainScore(model: ScoringModel, features: readonly number[]): number {
  const z = model.weights.reduce((sum, w, j) => sum + w * (features[j] as number), model.bias);
  if (!model.polynomial) return z;
  const [a0, a1, a2] = model.polynomial;
  return a0 + a1 * z + a2 * z * z;
}
