import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from "node:crypto";
import { ValidationError } from "./errors.js";

// RFC 8410 §4: DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows.
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** An Ed25519 key pair: the public key as raw base64url, the private key as PKCS#8 PEM. */
export interface Ed25519KeyPair {
  publicKey: string;
  privateKeyPem: string;
}

export function generateEd25519KeyPair(): Ed25519KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  return {
    publicKey: rawPublicKey(publicKey),
    privateKeyPem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
  };
}

export function rawPublicKey(key: KeyObject): string {
  const der = key.export({ format: "der", type: "spki" });
  return der.subarray(SPKI_PREFIX.length).toString("base64url");
}

export function publicKeyFromPrivatePem(privateKeyPem: string): string {
  return rawPublicKey(createPublicKey(createPrivateKey(privateKeyPem)));
}

// Parsing a key costs far more than using it (a verification is ~60 µs, an import several hundred):
// keys seen recently are kept as ready KeyObjects. Keys are public or the caller's own; nothing leaks.
const MAX_CACHED_KEYS = 10_000;
const publicKeys = new Map<string, KeyObject>();
const privateKeys = new Map<string, KeyObject>();

function remember(cache: Map<string, KeyObject>, text: string, make: () => KeyObject): KeyObject {
  let key = cache.get(text);
  if (!key) {
    key = make();
    if (cache.size >= MAX_CACHED_KEYS) cache.delete(cache.keys().next().value as string);
    cache.set(text, key);
  }
  return key;
}

export function importPublicKey(publicKey: string): KeyObject {
  return remember(publicKeys, publicKey, () => {
    const raw = Buffer.from(publicKey, "base64url");
    if (raw.length !== 32) throw new ValidationError(`an Ed25519 public key is 32 bytes, got ${raw.length}`);
    return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: "der", type: "spki" });
  });
}

function importPrivateKey(privateKeyPem: string): KeyObject {
  return remember(privateKeys, privateKeyPem, () => createPrivateKey(privateKeyPem));
}

export function signBytes(privateKey: KeyObject | string, message: Uint8Array | string): string {
  const key = typeof privateKey === "string" ? importPrivateKey(privateKey) : privateKey;
  return sign(null, typeof message === "string" ? Buffer.from(message) : message, key).toString("base64url");
}

/**
 * Verifies on libuv's thread pool, leaving the event loop free for other requests meanwhile; any
 * malformed key or signature is simply `false`.
 */
export function verifyBytesAsync(
  publicKey: KeyObject | string,
  message: Uint8Array | string,
  signature: string,
): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      const key = typeof publicKey === "string" ? importPublicKey(publicKey) : publicKey;
      const sig = Buffer.from(signature, "base64url");
      if (sig.length !== 64) return resolve(false);
      const data = typeof message === "string" ? Buffer.from(message) : message;
      verify(null, data, key, sig, (error, valid) => resolve(!error && valid));
    } catch {
      resolve(false);
    }
  });
}

/** Verifies an Ed25519 signature; any malformed key or signature is simply `false`. */
export function verifyBytes(publicKey: KeyObject | string, message: Uint8Array | string, signature: string): boolean {
  try {
    const key = typeof publicKey === "string" ? importPublicKey(publicKey) : publicKey;
    const sig = Buffer.from(signature, "base64url");
    if (sig.length !== 64) return false;
    return verify(null, typeof message === "string" ? Buffer.from(message) : message, key, sig);
  } catch {
    return false;
  }
}
