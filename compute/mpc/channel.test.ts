import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ComputeError } from "../errors.js";
import { deriveEncryptionKeys, open, seal } from "./channel.js";

const alice = deriveEncryptionKeys(generateKeyPairSync("ed25519").privateKey);
const bob = deriveEncryptionKeys(generateKeyPairSync("ed25519").privateKey);
const message = Buffer.from("sixteen bytes!!!sixteen bytes!!!");
const context = JSON.stringify({ jobId: "job_1", from: "node_a", to: "node_b" });

describe("the sealed channel between nodes (X25519 + HKDF + ChaCha20-Poly1305)", () => {
  it("derives the same encryption key from the same signing key, and another from another", () => {
    const signing = generateKeyPairSync("ed25519").privateKey;
    expect(deriveEncryptionKeys(signing).publicKey).toBe(deriveEncryptionKeys(signing).publicKey);
    expect(alice.publicKey).not.toBe(bob.publicKey);
    expect(Buffer.from(alice.publicKey, "base64url")).toHaveLength(32);
  });

  it("opens for the recipient what was sealed to it, and the ciphertext hides the bytes", () => {
    const sealed = seal(message, bob.publicKey, context);
    expect(Buffer.from(sealed.ciphertext, "base64url").includes(message.subarray(0, 8))).toBe(false);
    expect(open(sealed, bob, context)).toEqual(message);
    expect(seal(message, bob.publicKey, context).ciphertext).not.toBe(sealed.ciphertext);
  });

  it.each([
    ["another recipient", (s: ReturnType<typeof seal>) => ({ sealed: s, keys: alice, aad: context })],
    [
      "another job in the associated data",
      (s: ReturnType<typeof seal>) => ({ sealed: s, keys: bob, aad: context.replace("job_1", "job_2") }),
    ],
    [
      "a flipped ciphertext bit",
      (s: ReturnType<typeof seal>) => {
        const body = Buffer.from(s.ciphertext, "base64url");
        body[0] = (body[0] as number) ^ 1;
        return { sealed: { ...s, ciphertext: body.toString("base64url") }, keys: bob, aad: context };
      },
    ],
    [
      "a truncated ciphertext",
      (s: ReturnType<typeof seal>) => ({ sealed: { ...s, ciphertext: "AAAA" }, keys: bob, aad: context }),
    ],
    [
      "a malformed ephemeral key",
      (s: ReturnType<typeof seal>) => ({ sealed: { ...s, ephemeralKey: "AAAA" }, keys: bob, aad: context }),
    ],
    [
      "a wrong-length nonce",
      (s: ReturnType<typeof seal>) => ({ sealed: { ...s, nonce: "AAAA" }, keys: bob, aad: context }),
    ],
  ])("refuses %s", (_name, tamper) => {
    const { sealed, keys, aad } = tamper(seal(message, bob.publicKey, context));
    expect(() => open(sealed, keys, aad)).toThrow(ComputeError);
  });
});
