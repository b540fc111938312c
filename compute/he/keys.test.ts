import { beforeAll, describe, expect, it } from "vitest";
import {
  fingerprintOf,
  generateHeKeys,
  HeKeyError,
  type HeKeyFile,
  publicPartOf,
  validateHePublicKeys,
} from "./keys.js";

describe("homomorphic keys, made on the operator's machine", () => {
  let bfv: HeKeyFile;
  let ckks: HeKeyFile;
  beforeAll(async () => {
    bfv = await generateHeKeys("bfv-8192", { relinKeys: true });
    ckks = await generateHeKeys("ckks-8192");
  }, 60_000);

  it("makes a secret key, public keys and a fingerprint over the public ones only", () => {
    expect(bfv.secretKey.length).toBeGreaterThan(1_000);
    expect(bfv.relinKeys?.length).toBeGreaterThan(bfv.publicKey.length);
    expect(bfv.fingerprint).toBe(fingerprintOf(bfv));
    expect(bfv.fingerprint).not.toBe(fingerprintOf({ ...bfv, publicKey: ckks.publicKey }));
  });

  it("hands over only the public parts, whatever else the object holds", () => {
    const sent = JSON.stringify(publicPartOf(bfv));
    expect(sent).not.toContain(bfv.secretKey.slice(100, 200));
    expect(Object.keys(publicPartOf(bfv)).sort()).toEqual(["paramSet", "publicKey", "relinKeys"]);
  });

  it("accepts its own public keys under their parameter set", async () => {
    await expect(validateHePublicKeys(publicPartOf(bfv))).resolves.toBeUndefined();
    await expect(validateHePublicKeys(publicPartOf(ckks))).resolves.toBeUndefined();
  });

  it.each([
    ["a key made under other parameters", () => ({ ...publicPartOf(ckks), paramSet: "bfv-8192" as const })],
    ["a truncated key", () => ({ ...publicPartOf(bfv), publicKey: bfv.publicKey.slice(0, 5_000) })],
    ["an altered key", () => ({ ...publicPartOf(bfv), publicKey: `AAAA${bfv.publicKey.slice(4)}` })],
    ["something that is not base64 at all", () => ({ ...publicPartOf(bfv), publicKey: "not a key ☃" })],
    ["relinearisation keys that are a public key", () => ({ ...publicPartOf(bfv), relinKeys: bfv.publicKey })],
    ["an oversized key", () => ({ ...publicPartOf(bfv), publicKey: "A".repeat(4_000_001) })],
    ["an unknown parameter set", () => ({ ...publicPartOf(bfv), paramSet: "bfv-2048" as never })],
  ])("refuses %s with a clear error, never a crash", async (_name, keys) => {
    const failure = await validateHePublicKeys(keys()).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(HeKeyError);
    expect((failure as HeKeyError).code).toBe("he_key_invalid");
  });
});
