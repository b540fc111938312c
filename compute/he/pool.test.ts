import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateHeKeys, type HeKeyFile } from "./keys.js";
import { HePool } from "./pool.js";
import { decryptScores, encryptScoringModel } from "./scoring.js";
import { type EncryptedModel, modelDigest } from "./scoring-model.js";
import { decryptVector } from "./vectors.js";

describe("the SEAL worker pool", () => {
  const pool = new HePool(2);
  let keys: HeKeyFile;
  beforeAll(async () => {
    keys = await generateHeKeys("bfv-8192");
    await pool.validateHePublicKeys(keys); // loads SEAL in a worker
  }, 60_000);
  afterAll(async () => {
    await pool.close();
  });

  it("encrypts and adds in worker threads with the same results", async () => {
    const parts = await Promise.all(
      [
        [1n, 2n],
        [10n, -20n],
        [100n, 200n],
      ].map((v) => pool.encryptVector("bfv-8192", keys.publicKey, v)),
    );
    const total = await pool.addCiphertexts("bfv-8192", parts);
    expect(await decryptVector("bfv-8192", keys.secretKey, total, 2)).toEqual([111n, 182n]);
  });

  it("keeps the event loop free while it works", async () => {
    const order: string[] = [];
    const batch = Promise.all(
      Array.from({ length: 6 }, () => pool.encryptVector("bfv-8192", keys.publicKey, [1n])),
    ).then(() => order.push("batch"));
    setTimeout(() => order.push("timer"), 1);
    await batch;
    expect(order).toEqual(["timer", "batch"]);
  });

  it("brings errors back typed, and goes on working after them", async () => {
    await expect(pool.addCiphertexts("bfv-8192", ["☃"])).rejects.toMatchObject({ code: "ciphertext_invalid" });
    await expect(pool.validateHePublicKeys({ paramSet: "bfv-8192", publicKey: "AAAA" })).rejects.toMatchObject({
      code: "he_key_invalid",
    });
    expect(await pool.encryptVector("bfv-8192", keys.publicKey, [5n])).toMatch(/^[A-Za-z0-9+/=]+$/);
  });

  it("frees SEAL objects on every path and survives malformed input: memory stays flat over a soak of a thousand operations", async () => {
    const round = async (n: number) => {
      const parts = await Promise.all(
        Array.from({ length: 4 }, (_, i) => pool.encryptVector("bfv-8192", keys.publicKey, [BigInt(i)])),
      );
      const total = await pool.addCiphertexts("bfv-8192", parts);
      // Now and then a malformed ciphertext: its worker is replaced, and the next results stay right.
      if (n % 50 === 25) await expect(pool.addCiphertexts("bfv-8192", ["not a ciphertext"])).rejects.toThrow();
      return total;
    };
    for (let i = 0; i < 20; i++) await round(i); // warm up to SEAL's high-water mark
    const before = await pool.memory();
    let last = "";
    for (let i = 20; i < 220; i++) last = await round(i); // 200 rounds × 5 operations
    const after = await pool.memory();
    expect(after - before).toBeLessThan(64 * 1024 * 1024);
    expect(await decryptVector("bfv-8192", keys.secretKey, last, 2)).toEqual([6n, 0n]);
  }, 120_000);

  it("scores in the workers with models coming and going, and memory stays flat over hundreds of batches", async () => {
    const ckks = await generateHeKeys("ckks-8192");
    // Three models for a cache of two: every call evicts one and loads another.
    const models = await Promise.all(
      [1, 2, 3].map((w) => encryptScoringModel(ckks, { features: ["a", "b"], weights: [w, 1], bias: 0 })),
    );
    const batch = [[Float64Array.from([1, 2, 3]), Float64Array.from([10, 20, 30])]];
    const round = async (n: number) => {
      const model = models[n % 3] as EncryptedModel;
      const keys = { publicKey: ckks.publicKey };
      const scored = await pool.scoreBatches({ digest: modelDigest(model), model, keys, batches: batch });
      if (n % 40 === 20) {
        const broken = { ...model, form: { weights: ["AAAA", "AAAA"], bias: "AAAA" } } as EncryptedModel;
        await expect(pool.scoreBatches({ digest: "x", model: broken, keys, batches: batch })).rejects.toMatchObject({
          code: "ciphertext_invalid",
        });
      }
      return { scored, weight: (n % 3) + 1 };
    };
    for (let i = 0; i < 20; i++) await round(i);
    const before = await pool.memory();
    let last = await round(20);
    for (let i = 21; i < 320; i++) last = await round(i);
    const after = await pool.memory();
    expect(after - before).toBeLessThan(64 * 1024 * 1024);
    const scores = await decryptScores(ckks, last.scored, 3);
    for (const [i, score] of scores.entries()) expect(score).toBeCloseTo(last.weight * (i + 1) + 10 * (i + 1), 4);
  }, 120_000);
});
