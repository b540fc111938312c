import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateHeKeys, type HeKeyFile } from "./keys.js";
import { HePool } from "./pool.js";
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
});
