import { beforeAll, describe, expect, it } from "vitest";
import { generateHeKeys, type HeKeyFile } from "./keys.js";
import { addCiphertexts, CiphertextError, decryptVector, encryptVector, slotLimit } from "./vectors.js";

describe("BFV vectors: encrypted by owners, added blind, decrypted by the operator", () => {
  let keys: HeKeyFile;
  let other: HeKeyFile;
  let ckks: HeKeyFile;
  beforeAll(async () => {
    keys = await generateHeKeys("bfv-8192");
    other = await generateHeKeys("bfv-8192");
    ckks = await generateHeKeys("ckks-8192");
  }, 60_000);

  it("adds three owners' vectors exactly, negative noise included", async () => {
    const owners = [
      [5n, -3n, 1_000_000_000n],
      [7n, 2n, -999_999_999n],
      [0n, 1n, 0n],
    ];
    const ciphertexts = await Promise.all(owners.map((v) => encryptVector("bfv-8192", keys.publicKey, v)));
    const total = await addCiphertexts("bfv-8192", ciphertexts);
    expect(await decryptVector("bfv-8192", keys.secretKey, total, 3)).toEqual([12n, 0n, 1n]);
  });

  it("hides the vector: the same values encrypt differently each time", async () => {
    const a = await encryptVector("bfv-8192", keys.publicKey, [42n]);
    const b = await encryptVector("bfv-8192", keys.publicKey, [42n]);
    expect(a).not.toBe(b);
  });

  it("refuses values a slot cannot hold and more values than slots", async () => {
    const { maxAbs, slots } = await slotLimit("bfv-8192");
    await expect(encryptVector("bfv-8192", keys.publicKey, [maxAbs + 1n])).rejects.toThrow(CiphertextError);
    await expect(encryptVector("bfv-8192", keys.publicKey, new Array(slots + 1).fill(0n))).rejects.toThrow(/slots/);
  });

  it.each([
    ["a truncated ciphertext", (c: string) => c.slice(0, 1_000)],
    ["an altered ciphertext", (c: string) => `AAAA${c.slice(4)}`],
    ["not base64", () => "☃"],
    ["a CKKS public key posing as a ciphertext", () => ckks.publicKey],
    ["an oversized one", () => "A".repeat(2_000_001)],
  ])("refuses %s among the ones to add, with a clear error", async (_name, tamper) => {
    const good = await encryptVector("bfv-8192", keys.publicKey, [1n]);
    const failure = await addCiphertexts("bfv-8192", [good, tamper(good)]).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(CiphertextError);
  });

  it("decrypts nothing useful with another operator's secret key", async () => {
    const cipher = await encryptVector("bfv-8192", keys.publicKey, [123n, 456n]);
    const wrong = await decryptVector("bfv-8192", other.secretKey, cipher, 2).catch(() => null);
    expect(wrong).not.toEqual([123n, 456n]);
  });
});
