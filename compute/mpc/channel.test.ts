import { createCipheriv, generateKeyPairSync, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ComputeError } from "../errors.js";
import {
  aeadOpen,
  aeadSeal,
  deriveEncryptionKeys,
  open,
  openBytes,
  SealablePlaintext,
  seal,
  sealBytes,
} from "./channel.js";

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

describe("the AEAD: ChaCha20-Poly1305 as RFC 8439 gives it", () => {
  // RFC 8439 §2.8.2, the AEAD test vector.
  const key = Buffer.from("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f", "hex");
  const nonce = Buffer.from("070000004041424344454647", "hex");
  const aad = Buffer.from("50515253c0c1c2c3c4c5c6c7", "hex");
  const plaintext = Buffer.from(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
  );

  it("gives the RFC's ciphertext and tag, and node:crypto's, and opens them", () => {
    const sealed = aeadSeal(key, nonce, plaintext, aad);
    expect(sealed.subarray(0, 16).toString("hex")).toBe("d31a8d34648e60db7b86afbc53ef7ec2");
    expect(sealed.subarray(sealed.length - 16).toString("hex")).toBe("1ae10b594f09e26a7e902ecbd0600691");
    const cipher = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
    cipher.setAAD(aad, { plaintextLength: plaintext.length });
    expect(sealed).toEqual(Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]));
    expect(aeadOpen(key, nonce, sealed, aad)).toEqual(plaintext);
  });

  it("refuses a changed byte, tag, nonce or associated data", () => {
    const sealed = aeadSeal(key, nonce, plaintext, aad);
    for (const at of [0, 50, sealed.length - 1]) {
      const altered = Buffer.from(sealed);
      altered[at] = (altered[at] as number) ^ 1;
      expect(() => aeadOpen(key, nonce, altered, aad)).toThrow();
    }
    expect(() => aeadOpen(key, randomBytes(12), sealed, aad)).toThrow();
    expect(() => aeadOpen(key, nonce, sealed, Buffer.from("other"))).toThrow();
    expect(() => aeadOpen(key, nonce, sealed.subarray(0, 10), aad)).toThrow(/shorter than its tag/);
  });
});

describe("sealing in place", () => {
  it("seals a laid-out plaintext where it lies, as sealing a copy does, and opens it in place", () => {
    const room = SealablePlaintext.alloc(message.length);
    message.copy(room.buffer);
    const sealed = sealBytes(room, bob.publicKey, context);
    expect(sealed.ciphertext).toBe(room.buffer);
    expect(openBytes(sealed, bob, context)).toEqual(message);
    const opened = openBytes(sealed, bob, context, { inPlace: true });
    expect(opened).toEqual(message);
    expect(opened.buffer).toBe(room.buffer.buffer);
  });

  it("refuses an altered or misaddressed ciphertext in place too, and leaves no plaintext behind", () => {
    for (const [to, ad] of [
      [bob, "another context"],
      [alice, context],
    ] as const) {
      const sealed = sealBytes(message, bob.publicKey, context);
      expect(() => openBytes(sealed, to, ad, { inPlace: true })).toThrow(ComputeError);
      expect(sealed.ciphertext.subarray(0, message.length).includes(message.subarray(0, 8))).toBe(false);
    }
  });
});
