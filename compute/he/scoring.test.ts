import { beforeAll, describe, expect, it } from "vitest";
import { generateHeKeys, type HeKeyFile } from "./keys.js";
import { decryptScores, encryptScoringModel, scoreBatches, validateScoringModel } from "./scoring.js";
import { type EncryptedModel, modelDigest, plainScore, type ScoringModel } from "./scoring-model.js";
import { CiphertextError, encryptVector } from "./vectors.js";

const FEATURES = 16;
const RECORDS = 5_000; // two batches: 4,096 and 904

/** A deterministic pseudo-random table of features, record by record. */
function table(records: number, features: number): number[][] {
  let state = 12_345;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  return Array.from({ length: records }, () =>
    Array.from({ length: features }, (_, j) => (next() - 0.3) * 10 ** (j % 4)),
  );
}

/** Column packing: batch b holds records b·4096 … as one column per feature. */
function batchesOf(rows: number[][], slots = 4_096): Float64Array[][] {
  const batches: Float64Array[][] = [];
  for (let start = 0; start < rows.length; start += slots) {
    const part = rows.slice(start, start + slots);
    batches.push(
      Array.from({ length: rows[0]?.length ?? 0 }, (_, j) => Float64Array.from(part, (r) => r[j] as number)),
    );
  }
  return batches;
}

const linear: ScoringModel = {
  features: Array.from({ length: FEATURES }, (_, j) => `f${j}`),
  weights: Array.from({ length: FEATURES }, (_, j) => ((j % 5) - 2) / 10 ** (j % 4)),
  bias: 3.5,
};
// A degree-2 approximation of the logistic function around 0, of a linear score scaled to stay near it.
const logistic: ScoringModel = {
  ...linear,
  weights: linear.weights.map((w) => w / 20),
  bias: 0.1,
  polynomial: [0.5, 0.197, -0.004],
};

async function score(keys: HeKeyFile, model: EncryptedModel, rows: number[][]) {
  const ciphertexts = await scoreBatches({
    digest: modelDigest(model),
    model,
    keys: { publicKey: keys.publicKey, ...(keys.relinKeys ? { relinKeys: keys.relinKeys } : {}) },
    batches: batchesOf(rows),
  });
  return decryptScores(keys, ciphertexts, rows.length);
}

describe("encrypted scoring (CKKS, column packing): the owner scores its records blind, the operator decrypts", () => {
  let keys: HeKeyFile;
  let other: HeKeyFile;
  const rows = table(RECORDS, FEATURES);
  beforeAll(async () => {
    keys = await generateHeKeys("ckks-8192", { relinKeys: true });
    other = await generateHeKeys("ckks-8192", { relinKeys: true });
  }, 60_000);

  it("gives a linear model's scores within 10⁻⁴ of the plaintext computation", async () => {
    const scores = await score(keys, await encryptScoringModel(keys, linear), rows);
    const errors = rows.map((row, i) => Math.abs((scores[i] as number) - plainScore(linear, row)));
    expect(scores).toHaveLength(RECORDS);
    expect(Math.max(...errors)).toBeLessThan(1e-4);
  }, 60_000);

  it("gives a degree-2 logistic approximation's scores within 10⁻⁴ of the plaintext computation", async () => {
    const scores = await score(keys, await encryptScoringModel(keys, logistic), rows);
    const errors = rows.map((row, i) => Math.abs((scores[i] as number) - plainScore(logistic, row)));
    expect(Math.max(...errors)).toBeLessThan(1e-4);
  }, 60_000);

  it("re-randomises: the same records scored twice give unrelated ciphertexts", async () => {
    const model = await encryptScoringModel(keys, linear);
    const request = {
      digest: modelDigest(model),
      model,
      keys: { publicKey: keys.publicKey },
      batches: batchesOf(rows.slice(0, 10)),
    };
    const [a] = await scoreBatches(request);
    const [b] = await scoreBatches(request);
    const words = (text: string) => {
      const bytes = Buffer.from(text, "base64");
      return new BigUint64Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.length / 8));
    };
    const [wordsA, wordsB] = [words(a as string), words(b as string)];
    const same = wordsA.reduce((n, word, i) => n + (word === wordsB[i] ? 1 : 0), 0);
    // Coefficients uniform modulo a 60-bit prime never agree by chance; only the header's few words do.
    expect(wordsA.length).toBeGreaterThan(16_000);
    expect(same).toBeLessThan(16);
  });

  it("opens nothing under another operator's key", async () => {
    const model = await encryptScoringModel(keys, linear);
    const ciphertexts = await scoreBatches({
      digest: modelDigest(model),
      model,
      keys: { publicKey: keys.publicKey },
      batches: batchesOf(rows.slice(0, 10)),
    });
    const wrong = await decryptScores(other, ciphertexts, 10).catch(() => null);
    const expected = rows.slice(0, 10).map((r) => plainScore(linear, r));
    expect(wrong?.every((s, i) => Math.abs(s - (expected[i] as number)) < 1)).not.toBe(true);
  });

  describe("refuses what a malicious or careless operator sends, with a clear error", () => {
    let good: EncryptedModel & { kind: "linear" };
    beforeAll(async () => {
      good = (await encryptScoringModel(keys, linear)) as EncryptedModel & { kind: "linear" };
    });
    const withWeight = (model: EncryptedModel & { kind: "linear" }, weight: string): EncryptedModel => ({
      ...model,
      form: { ...model.form, weights: [weight, ...model.form.weights.slice(1)] },
    });

    it.each([
      ["a truncated weight", (w: string) => w.slice(0, 2_000)],
      // An altered coefficient still parses: the plan's digest of the model catches it (node tests).
      ["a weight with an altered header", (w: string) => `AAAA${w.slice(4)}`],
      // Bytes 18–24: the compressed stream's frame header. (Bytes further in may fall in a stored
      // block, which zstd does not check: that is the digest's job, as above.)
      ["a weight with an altered compression header", (w: string) => `${w.slice(0, 24)}AAAAAAAA${w.slice(32)}`],
      ["not base64", () => "☃☃☃"],
      ["an oversized weight", () => "A".repeat(2_000_001)],
    ])("%s", async (_name, tamper) => {
      const model = withWeight(good, tamper(good.form.weights[0] as string));
      await expect(validateScoringModel(model, { publicKey: keys.publicKey }, FEATURES)).rejects.toThrow(
        CiphertextError,
      );
    });

    it("a BFV ciphertext posing as a CKKS weight (parameter mismatch)", async () => {
      const bfv = await generateHeKeys("bfv-8192");
      const model = withWeight(good, await encryptVector("bfv-8192", bfv.publicKey, [1n]));
      await expect(validateScoringModel(model, { publicKey: keys.publicKey }, FEATURES)).rejects.toThrow(
        /not a ckks-8192 ciphertext/,
      );
    });

    it("a BFV public key to encrypt the scores under", async () => {
      const bfv = await generateHeKeys("bfv-8192");
      await expect(validateScoringModel(good, { publicKey: bfv.publicKey }, FEATURES)).rejects.toThrow(/public key/);
    });

    it("a model weighing another number of features than the plan names", async () => {
      await expect(validateScoringModel(good, { publicKey: keys.publicKey }, FEATURES + 1)).rejects.toThrow(
        /weighs 16 features/,
      );
    });

    it("a quadratic model without relinearisation keys", async () => {
      const quadratic = await encryptScoringModel(keys, logistic);
      await expect(validateScoringModel(quadratic, { publicKey: keys.publicKey }, FEATURES)).rejects.toThrow(
        /relinearisation/,
      );
    });

    it("a batch with the wrong number of columns", async () => {
      const request = {
        digest: modelDigest(good),
        model: good,
        keys: { publicKey: keys.publicKey },
        batches: [batchesOf(rows.slice(0, 4))[0]?.slice(1) as Float64Array[]],
      };
      await expect(scoreBatches(request)).rejects.toThrow(/weighs 16 features; the plan names 15/);
    });
  });
});
