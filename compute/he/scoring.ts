import { bufferedRandomBytes, sampleDiscreteLaplace } from "../dp/discrete-laplace.js";
import type { HeKeyFile } from "./keys.js";
import {
  COEFFICIENT_SCALE,
  type EncryptedModel,
  FEATURE_SCALE,
  featureCountOf,
  formsOf,
  outputScaleFor,
  type ScoringModel,
} from "./scoring-model.js";
import { contextFor } from "./seal.js";
import { CiphertextError, MAX_CIPHERTEXT_CHARS, uncompressed } from "./vectors.js";

// Encrypted scoring under CKKS with column packing: slot i of every batch is record i, so a linear
// score is one multiply-plain per feature and no rotation. The operator's coefficients arrive
// encrypted (each alone, repeated in every slot); the owner multiplies them by its own features in
// plain, sums, rescales, and re-randomises the result with a fresh encryption of zero under the
// operator's public key before it leaves. Every SEAL object is freed on every path.

type Seal = Awaited<ReturnType<typeof contextFor>>["seal"];
type Context = Awaited<ReturnType<typeof contextFor>>["context"];
type CipherText = ReturnType<Seal["CipherText"]>;
type PlainText = ReturnType<Seal["PlainText"]>;
type Deletable = { delete(): void } | undefined;
const free = (...objects: Deletable[]) => {
  for (const object of objects) object?.delete();
};

const PARAM_SET = "ckks-8192";

function sameParms(a: { values: BigUint64Array; delete(): void }, b: { values: BigUint64Array; delete(): void }) {
  try {
    return a.values.every((v, i) => v === b.values[i]);
  } finally {
    free(a, b);
  }
}

/**
 * Loads one coefficient ciphertext from the network and checks it: size, that it loads under the
 * CKKS parameters, two components, not transparent, at the top of the chain, at scale 2^40.
 */
function loadCoefficient(seal: Seal, context: Context, text: string, name: string): CipherText {
  if (text.length > MAX_CIPHERTEXT_CHARS) {
    throw new CiphertextError(`${name} is larger than ${MAX_CIPHERTEXT_CHARS} characters`);
  }
  const cipher = seal.CipherText();
  try {
    try {
      cipher.load(context, text);
    } catch (cause) {
      throw new CiphertextError(`${name} is not a ${PARAM_SET} ciphertext: ${String(cause).slice(0, 200)}`, { cause });
    }
    if (cipher.size !== 2) throw new CiphertextError(`${name} has ${cipher.size} components; a fresh one has 2`);
    if (cipher.isTransparent) throw new CiphertextError(`${name} is transparent: it encrypts nothing`);
    if (!sameParms(cipher.parmsId, context.firstParmsId)) {
      throw new CiphertextError(`${name} is not at the top of the modulus chain`);
    }
    if (cipher.scale !== COEFFICIENT_SCALE) {
      throw new CiphertextError(`${name} is at scale 2^${Math.log2(cipher.scale).toFixed(1)}; coefficients use 2^40`);
    }
    return cipher;
  } catch (error) {
    cipher.delete();
    throw error;
  }
}

interface PreparedForm {
  weights: CipherText[];
  bias: CipherText;
}

/** A model loaded in one SEAL instance, with everything each batch reuses. */
interface PreparedModel {
  kind: EncryptedModel["kind"];
  /** False for every part of a vertical score but one: the bias is added once, by one owner. */
  addsBias: boolean;
  forms: PreparedForm[];
  /** Quadratic only: the constant, already at level 1 and at the scale of the product it is added to. */
  constant?: CipherText;
  /** Each form's bias times 1 in every slot: the term every batch adds, computed once. */
  biasTerms: CipherText[];
  /** Zero on the last prime, which every batch encrypts afresh to re-randomise its scores. */
  zero: PlainText;
  /** Buffers one batch reuses: the features' plaintexts and one product. */
  scratch: { features: PlainText[]; term: CipherText };
  publicKey: ReturnType<Seal["PublicKey"]>;
  encryptor: ReturnType<Seal["Encryptor"]>;
  relinKeys?: ReturnType<Seal["RelinKeys"]>;
  encoder: ReturnType<Seal["CKKSEncoder"]>;
  evaluator: ReturnType<Seal["Evaluator"]>;
  uncompressed: Seal["ComprModeType"]["none"];
}

function freePrepared(model: PreparedModel) {
  for (const form of model.forms) free(...form.weights, form.bias);
  free(...model.biasTerms, model.zero, ...model.scratch.features, model.scratch.term);
  free(model.constant, model.encryptor, model.publicKey, model.relinKeys, model.encoder, model.evaluator);
}

/**
 * Loads and checks a model with the operator's public (and, for quadratic models, relinearisation)
 * keys. A linear model's coefficients are switched one level down once here: their products with
 * the features then cost two primes instead of three.
 */
async function prepareModel(
  model: EncryptedModel,
  keys: { publicKey: string; relinKeys?: string },
  featureCount: number,
  addsBias = true,
): Promise<PreparedModel> {
  if (!addsBias && model.kind !== "linear") {
    throw new CiphertextError("only a linear model is scored in parts: a product needs the whole linear score");
  }
  if (featureCountOf(model) !== featureCount) {
    throw new CiphertextError(`the model weighs ${featureCountOf(model)} features; the plan names ${featureCount}`);
  }
  if (model.kind === "quadratic" && !keys.relinKeys) {
    throw new CiphertextError("a quadratic model needs the operator's relinearisation keys");
  }
  const { seal, context } = await contextFor(PARAM_SET);
  const loaded: Deletable[] = [];
  const keep = <T extends Deletable>(object: T) => {
    loaded.push(object);
    return object;
  };
  try {
    const forms = formsOf(model).map((form, f) => ({
      weights: form.weights.map((w, j) => keep(loadCoefficient(seal, context, w, `weight ${j} of form ${f}`))),
      bias: keep(loadCoefficient(seal, context, form.bias, `the bias of form ${f}`)),
    }));
    const publicKey = keep(seal.PublicKey());
    try {
      publicKey.load(context, keys.publicKey);
    } catch (cause) {
      throw new CiphertextError(`the public key is not a ${PARAM_SET} key: ${String(cause).slice(0, 200)}`, { cause });
    }
    let relinKeys: ReturnType<Seal["RelinKeys"]> | undefined;
    if (model.kind === "quadratic") {
      relinKeys = keep(seal.RelinKeys());
      try {
        relinKeys.load(context, keys.relinKeys as string);
      } catch (cause) {
        throw new CiphertextError(
          `the relinearisation keys are not ${PARAM_SET} keys: ${String(cause).slice(0, 200)}`,
          {
            cause,
          },
        );
      }
    }
    const encoder = keep(seal.CKKSEncoder(context));
    const evaluator = keep(seal.Evaluator(context));
    const encryptor = keep(seal.Encryptor(context, publicKey));
    const slotsOfOnes = keep(
      encoder.encode(new Float64Array(encoder.slotCount).fill(1), FEATURE_SCALE) as PlainText,
    ) as PlainText;
    let constant: CipherText | undefined;
    if (model.kind === "linear") {
      for (const form of forms) for (const c of [...form.weights, form.bias]) evaluator.cipherModSwitchToNext(c, c);
      evaluator.plainModSwitchToNext(slotsOfOnes, slotsOfOnes);
    } else {
      // c becomes c·1 rescaled (the forms' scale s) and then c·1 at scale s: the scale of (form 1)(form 2).
      const raw = keep(loadCoefficient(seal, context, model.constant, "the constant"));
      const term = keep(evaluator.multiplyPlain(raw, slotsOfOnes) as CipherText);
      evaluator.rescaleToNext(term, term);
      const onesAtLevel = keep(encoder.encode(new Float64Array(encoder.slotCount).fill(1), term.scale) as PlainText);
      evaluator.plainModSwitchToNext(onesAtLevel, onesAtLevel);
      constant = evaluator.multiplyPlain(term, onesAtLevel) as CipherText;
      free(raw, term, onesAtLevel);
      loaded.splice(loaded.indexOf(raw), 1);
      loaded.splice(loaded.indexOf(term), 1);
      loaded.splice(loaded.indexOf(onesAtLevel), 1);
    }
    const biasTerms = forms.map((form) => keep(evaluator.multiplyPlain(form.bias, slotsOfOnes) as CipherText));
    const zero = keep(encoder.encode(Float64Array.from([0]), FEATURE_SCALE) as PlainText);
    const last = context.lastParmsId;
    evaluator.plainModSwitchTo(zero, last, zero);
    last.delete();
    const scratch = {
      features: Array.from({ length: featureCount }, () => keep(seal.PlainText())),
      term: keep(seal.CipherText()),
    };
    free(slotsOfOnes);
    loaded.splice(loaded.indexOf(slotsOfOnes), 1);
    return {
      kind: model.kind,
      addsBias,
      forms,
      ...(constant ? { constant } : {}),
      biasTerms,
      zero,
      scratch,
      publicKey,
      encryptor,
      ...(relinKeys ? { relinKeys } : {}),
      encoder,
      evaluator,
      uncompressed: uncompressed(seal),
    };
  } catch (error) {
    free(...loaded);
    throw error instanceof CiphertextError
      ? error
      : new CiphertextError(`cannot use this model: ${String(error).slice(0, 200)}`, { cause: error });
  }
}

// Loading a model costs tens of milliseconds; a worker keeps the last two it was given.
const MAX_PREPARED = 2;
const prepared = new Map<string, PreparedModel>();

async function preparedModel(
  digest: string,
  model: EncryptedModel,
  keys: { publicKey: string; relinKeys?: string },
  featureCount: number,
  addsBias: boolean,
) {
  const key = `${digest}:${addsBias}:${keys.publicKey.length}:${keys.publicKey.slice(-64)}`;
  const cached = prepared.get(key);
  if (cached) return cached;
  const fresh = await prepareModel(model, keys, featureCount, addsBias);
  if (prepared.size >= MAX_PREPARED) {
    const [oldest, evicted] = prepared.entries().next().value as [string, PreparedModel];
    prepared.delete(oldest);
    freePrepared(evicted);
  }
  prepared.set(key, fresh);
  return fresh;
}

/** Checks a model and keys from the network without scoring anything (the gateway does, before it reserves). */
export async function validateScoringModel(
  model: EncryptedModel,
  keys: { publicKey: string; relinKeys?: string },
  featureCount: number,
): Promise<void> {
  freePrepared(await prepareModel(model, keys, featureCount));
}

/** Σ_j w_j·x_j + b·1 over one batch (without b·1 for a part that adds no bias), at the forms' level, then rescaled. */
function linearForm(model: PreparedModel, f: number, features: PlainText[]): CipherText {
  const { evaluator, scratch } = model;
  const form = model.forms[f] as PreparedForm;
  // Without the bias, the sum starts from the first product instead of b·1.
  const sum = model.addsBias
    ? (model.biasTerms[f] as CipherText).clone()
    : (evaluator.multiplyPlain(form.weights[0] as CipherText, features[0] as PlainText) as CipherText);
  try {
    for (let j = model.addsBias ? 0 : 1; j < form.weights.length; j++) {
      evaluator.multiplyPlain(form.weights[j] as CipherText, features[j] as PlainText, scratch.term);
      evaluator.add(sum, scratch.term, sum);
    }
    evaluator.rescaleToNext(sum, sum);
    return sum;
  } catch (error) {
    sum.delete();
    throw error;
  }
}

/**
 * Scores one batch: `columns[j]` holds feature j of up to 4,096 records (slot i is record i).
 * Returns the encrypted scores, re-randomised, on the last prime, saved uncompressed.
 */
function scoreBatch(model: PreparedModel, columns: Float64Array[]): string {
  const { encoder, evaluator, encryptor } = model;
  const features = model.scratch.features;
  let score: CipherText | undefined;
  let second: CipherText | undefined;
  let zero: CipherText | undefined;
  try {
    columns.forEach((column, j) => {
      const plain = features[j] as PlainText;
      encoder.encode(column, FEATURE_SCALE, plain);
      if (model.kind === "linear") evaluator.plainModSwitchToNext(plain, plain);
    });
    score = linearForm(model, 0, features);
    if (model.forms.length > 1) {
      second = linearForm(model, 1, features);
      evaluator.multiply(score, second, score);
      evaluator.relinearize(score, model.relinKeys as NonNullable<PreparedModel["relinKeys"]>, score);
      evaluator.add(score, model.constant as CipherText, score);
      evaluator.rescaleToNext(score, score);
    }
    // A fresh encryption of zero: without it the result's randomness would be a known function of
    // the operator's own ciphertexts and of the features, which it could solve for.
    // Encrypting it directly on the last prime costs half of encrypting at the top and switching down.
    zero = encryptor.encrypt(model.zero) as CipherText;
    zero.setScale(score.scale);
    evaluator.add(score, zero, score);
    return score.save(model.uncompressed);
  } finally {
    free(score, second, zero);
  }
}

/**
 * How a node's column becomes the feature the model sees: discrete Laplace noise of scale
 * num/den added to each fixed-point value (none when null), then division into the field's unit.
 */
export interface FeatureRecipe {
  divisor: number;
  noise: [bigint, bigint] | null;
}

function finish(column: Float64Array, recipe: FeatureRecipe, random: ReturnType<typeof bufferedRandomBytes>) {
  const [num, den] = recipe.noise ?? [0n, 0n];
  for (let i = 0; i < column.length; i++) {
    const noise = recipe.noise ? Number(sampleDiscreteLaplace(num, den, random)) : 0;
    column[i] = ((column[i] as number) + noise) / recipe.divisor;
  }
}

/**
 * Scores batches of records against a model; the worker pool's operation. With recipes, each
 * column is finished here first (its noise sampled in this worker, off the node's event loop).
 */
export async function scoreBatches(request: {
  digest: string;
  model: EncryptedModel;
  keys: { publicKey: string; relinKeys?: string };
  batches: Float64Array[][];
  recipes?: FeatureRecipe[];
  /** A part of a vertical score other than the first: its scores carry no bias. */
  withoutBias?: boolean;
}): Promise<string[]> {
  const featureCount = request.batches[0]?.length ?? featureCountOf(request.model);
  const model = await preparedModel(
    request.digest,
    request.model,
    request.keys,
    featureCount,
    request.withoutBias !== true,
  );
  const slots = model.encoder.slotCount;
  const random = bufferedRandomBytes();
  return request.batches.map((columns, b) => {
    if (columns.length !== featureCount || columns.some((c) => c.length > slots)) {
      throw new CiphertextError(`batch ${b} does not hold ${featureCount} columns of at most ${slots} records`);
    }
    if (request.recipes) {
      if (request.recipes.length !== featureCount) throw new CiphertextError(`there are no ${featureCount} recipes`);
      for (const [j, column] of columns.entries()) finish(column, request.recipes[j] as FeatureRecipe, random);
    }
    return scoreBatch(model, columns);
  });
}

/**
 * Encrypts a model on the operator's machine, with its secret key (symmetric encryption, saved in
 * SEAL's seeded half-size form). A polynomial a0 + a1·z + a2·z² becomes c + (w·x + b)(v·x + d) with
 * v = a2·w, d = a1 + a2·b and c = a0.
 */
export async function encryptScoringModel(keys: HeKeyFile, model: ScoringModel): Promise<EncryptedModel> {
  if (keys.paramSet !== PARAM_SET) throw new CiphertextError(`scoring needs ${PARAM_SET} keys, not ${keys.paramSet}`);
  if (model.weights.length !== model.features.length || model.weights.length === 0) {
    throw new CiphertextError("a model has one weight per feature, and at least one");
  }
  const coefficients = [...model.weights, model.bias, ...(model.polynomial ?? [])];
  if (coefficients.some((c) => !Number.isFinite(c))) throw new CiphertextError("every coefficient must be finite");
  const { seal, context } = await contextFor(PARAM_SET);
  const secretKey = seal.SecretKey();
  const publicKey = seal.PublicKey();
  const encoder = seal.CKKSEncoder(context);
  let encryptor: Deletable;
  try {
    secretKey.load(context, keys.secretKey);
    publicKey.load(context, keys.publicKey);
    const e = seal.Encryptor(context, publicKey, secretKey);
    encryptor = e;
    const slots = encoder.slotCount;
    const encrypt = (value: number) => {
      const plain = encoder.encode(new Float64Array(slots).fill(value), COEFFICIENT_SCALE) as PlainText;
      const serializable = e.encryptSymmetricSerializable(plain);
      try {
        return serializable.save();
      } finally {
        free(plain, serializable);
      }
    };
    const form = (weights: number[], bias: number) => ({ weights: weights.map(encrypt), bias: encrypt(bias) });
    const outputScale = outputScaleFor(model.maxAbsScore);
    if (!model.polynomial) {
      return {
        kind: "linear",
        paramSet: PARAM_SET,
        outputScale,
        form: form(
          model.weights.map((w) => w * outputScale),
          model.bias * outputScale,
        ),
      };
    }
    // Each form carries half the scale (the error of each is absolute), the constant all of it.
    const first = 2 ** Math.floor(Math.log2(outputScale) / 2);
    const second = outputScale / first;
    const [a0, a1, a2] = model.polynomial;
    return {
      kind: "quadratic",
      paramSet: PARAM_SET,
      outputScale,
      forms: [
        form(
          model.weights.map((w) => w * first),
          model.bias * first,
        ),
        form(
          model.weights.map((w) => a2 * w * second),
          (a1 + a2 * model.bias) * second,
        ),
      ],
      constant: encrypt(a0 * outputScale),
    };
  } finally {
    free(encryptor, encoder, publicKey, secretKey);
  }
}

/**
 * Decrypts scores on the operator's machine: the first `count` slots of each ciphertext, in order,
 * divided by the scale the model was encrypted with.
 */
export async function decryptScores(
  keys: HeKeyFile,
  ciphertexts: readonly string[],
  count: number,
  outputScale = 1,
): Promise<number[]> {
  const { seal, context } = await contextFor(PARAM_SET);
  const secretKey = seal.SecretKey();
  const encoder = seal.CKKSEncoder(context);
  let decryptor: Deletable;
  try {
    secretKey.load(context, keys.secretKey);
    const d = seal.Decryptor(context, secretKey);
    decryptor = d;
    const scores: number[] = [];
    for (const [i, text] of ciphertexts.entries()) {
      const cipher = seal.CipherText();
      let plain: Deletable;
      try {
        cipher.load(context, text);
        const p = d.decrypt(cipher) as PlainText;
        plain = p;
        const decoded = encoder.decode(p) as Float64Array;
        for (const value of decoded.subarray(0, Math.min(encoder.slotCount, count - scores.length))) {
          scores.push(value / outputScale);
        }
      } catch (cause) {
        throw new CiphertextError(`cannot decrypt scores ${i} with this key: ${String(cause).slice(0, 200)}`, {
          cause,
        });
      } finally {
        free(cipher, plain);
      }
    }
    if (scores.length !== count) throw new CiphertextError(`${ciphertexts.length} ciphertexts hold no ${count} scores`);
    return scores;
  } finally {
    free(decryptor, encoder, secretKey);
  }
}
