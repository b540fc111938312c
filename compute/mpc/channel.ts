import {
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from "node:crypto";
import sodium from "sodium-native";
import { ComputeError } from "../errors.js";

// The encrypted channel between compute nodes: each share is sealed to the recipient's X25519 key
// with a fresh ephemeral key (ECDH, RFC 7748), HKDF-SHA-256 (RFC 5869) and ChaCha20-Poly1305
// (RFC 8439; the key exchange and HKDF from node:crypto, the AEAD from libsodium), with the job,
// sender and recipient as associated data. The sender signs the sealed message with its Ed25519
// key (protocol.ts), so it is authenticated as well.

const X25519_SPKI_PREFIX = Buffer.from("302a300506032b656e032100", "hex");
const X25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");
const ED25519_SEED_BYTES = 32;
const INFO = Buffer.from("sluice/share/v1");
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export interface EncryptionKeys {
  privateKey: KeyObject;
  /** Raw X25519 public key, base64url. */
  publicKey: string;
}

export interface SealedShare {
  ephemeralKey: string;
  nonce: string;
  ciphertext: string;
}

function rawPublic(key: KeyObject): string {
  return key.export({ format: "der", type: "spki" }).subarray(X25519_SPKI_PREFIX.length).toString("base64url");
}

export function importEncryptionPublicKey(raw: string): KeyObject {
  const bytes = Buffer.from(raw, "base64url");
  if (bytes.length !== 32) throw new ComputeError("share_rejected", "an X25519 public key is 32 bytes");
  return createPublicKey({ key: Buffer.concat([X25519_SPKI_PREFIX, bytes]), format: "der", type: "spki" });
}

/** A fresh X25519 key pair, for one job's sealed messages to a party that is not a node (an operator's SDK). */
export function newEncryptionKeys(): EncryptionKeys {
  const { privateKey, publicKey } = generateKeyPairSync("x25519");
  return { privateKey, publicKey: rawPublic(publicKey) };
}

/**
 * A node's X25519 key pair, derived from its Ed25519 signing key with HKDF (domain-separated), so
 * one key file holds both and the encryption key needs no second secret to keep.
 */
export function deriveEncryptionKeys(signingKey: KeyObject): EncryptionKeys {
  const der = signingKey.export({ format: "der", type: "pkcs8" });
  const seed = der.subarray(der.length - ED25519_SEED_BYTES);
  const scalar = Buffer.from(hkdfSync("sha256", seed, Buffer.alloc(0), "sluice/node-x25519/v1", 32));
  const privateKey = createPrivateKey({
    key: Buffer.concat([X25519_PKCS8_PREFIX, scalar]),
    format: "der",
    type: "pkcs8",
  });
  return { privateKey, publicKey: rawPublic(createPublicKey(privateKey)) };
}

function keyFor(shared: Buffer, ephemeral: string, recipient: string): Buffer {
  const salt = Buffer.concat([Buffer.from(ephemeral, "base64url"), Buffer.from(recipient, "base64url")]);
  return Buffer.from(hkdfSync("sha256", shared, salt, INFO, 32));
}

/** A sealed message as bytes: the ephemeral X25519 key, the nonce and the ciphertext with its tag. */
export interface SealedBytes {
  ephemeralKey: string;
  nonce: Buffer;
  ciphertext: Buffer;
}

/**
 * Plaintext laid out with room for the AEAD's tag after it, so that it is sealed where it lies:
 * a join's messages run to hundreds of megabytes, and this spares a second buffer of that size.
 */
export class SealablePlaintext {
  private constructor(
    /** The plaintext followed by `TAG_BYTES` of room. */
    readonly buffer: Buffer,
  ) {}

  static alloc(length: number): SealablePlaintext {
    return new SealablePlaintext(Buffer.allocUnsafe(length + TAG_BYTES));
  }

  get length(): number {
    return this.buffer.length - TAG_BYTES;
  }

  /** The plaintext (a view: sealing overwrites it with the ciphertext). */
  get bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

/**
 * Seals bytes to a recipient's X25519 public key; `associated` is authenticated, not encrypted. A
 * `SealablePlaintext` is encrypted in place and its buffer becomes the ciphertext.
 */
export function sealBytes(
  plaintext: Uint8Array | SealablePlaintext,
  recipientPublicKey: string,
  associated: string,
): SealedBytes {
  const ephemeral = generateKeyPairSync("x25519");
  const ephemeralKey = rawPublic(ephemeral.publicKey);
  const shared = diffieHellman({
    privateKey: ephemeral.privateKey,
    publicKey: importEncryptionPublicKey(recipientPublicKey),
  });
  const nonce = randomBytes(NONCE_BYTES);
  const key = keyFor(shared, ephemeralKey, recipientPublicKey);
  const ad = Buffer.from(associated);
  const ciphertext =
    plaintext instanceof SealablePlaintext
      ? aeadSealInPlace(key, nonce, plaintext, ad)
      : aeadSeal(key, nonce, plaintext, ad);
  return { ephemeralKey, nonce, ciphertext };
}

/**
 * Opens sealed bytes addressed to us; anything altered, misaddressed or malformed is refused. With
 * `inPlace`, the plaintext is written over the ciphertext and is a view of it (a refused one is zeroed).
 */
export function openBytes(
  sealed: SealedBytes,
  recipient: EncryptionKeys,
  associated: string,
  { inPlace = false }: { inPlace?: boolean } = {},
): Buffer {
  try {
    const shared = diffieHellman({
      privateKey: recipient.privateKey,
      publicKey: importEncryptionPublicKey(sealed.ephemeralKey),
    });
    const { nonce, ciphertext } = sealed;
    if (nonce.length !== NONCE_BYTES || ciphertext.length < TAG_BYTES) throw new Error("malformed");
    const key = keyFor(shared, sealed.ephemeralKey, recipient.publicKey);
    return aeadOpen(key, nonce, ciphertext, Buffer.from(associated), inPlace);
  } catch (cause) {
    throw new ComputeError("share_rejected", "the share could not be opened: altered, misaddressed or malformed", {
      cause,
    });
  }
}

/**
 * ChaCha20-Poly1305 (RFC 8439 §2.8), the ciphertext followed by its 16-byte tag, by libsodium's
 * IETF construction, which writes into one buffer of the final size: a join's messages run to
 * hundreds of megabytes, which node:crypto's cipher would hand back in parts to be copied together.
 */
export function aeadSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, associated: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(plaintext.length + TAG_BYTES);
  sodium.crypto_aead_chacha20poly1305_ietf_encrypt(out, plaintext, associated, null, nonce, key);
  return out;
}

function aeadSealInPlace(key: Uint8Array, nonce: Uint8Array, room: SealablePlaintext, associated: Uint8Array): Buffer {
  sodium.crypto_aead_chacha20poly1305_ietf_encrypt(room.buffer, room.bytes, associated, null, nonce, key);
  return room.buffer;
}

/**
 * Opens `aeadSeal`'s output; throws if the ciphertext, its tag, the nonce or the associated data
 * differ. libsodium checks the tag before it decrypts and zeroes the output of a refused one, so
 * opened in place, a refused ciphertext is left zeroed, never half decrypted.
 */
export function aeadOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  sealed: Uint8Array,
  associated: Uint8Array,
  inPlace = false,
): Buffer {
  if (sealed.length < TAG_BYTES) throw new Error("shorter than its tag");
  const out = inPlace
    ? Buffer.from(sealed.buffer, sealed.byteOffset, sealed.length - TAG_BYTES)
    : Buffer.allocUnsafe(sealed.length - TAG_BYTES);
  sodium.crypto_aead_chacha20poly1305_ietf_decrypt(out, null, sealed, associated, nonce, key);
  return out;
}

/** Seals bytes to a recipient's X25519 public key, as base64url text for a JSON message. */
export function seal(plaintext: Uint8Array, recipientPublicKey: string, associated: string): SealedShare {
  const sealed = sealBytes(plaintext, recipientPublicKey, associated);
  return {
    ephemeralKey: sealed.ephemeralKey,
    nonce: sealed.nonce.toString("base64url"),
    ciphertext: sealed.ciphertext.toString("base64url"),
  };
}

/** Opens a sealed share addressed to us; anything altered, misaddressed or malformed is refused. */
export function open(sealed: SealedShare, recipient: EncryptionKeys, associated: string): Buffer {
  return openBytes(
    {
      ephemeralKey: sealed.ephemeralKey,
      nonce: Buffer.from(sealed.nonce, "base64url"),
      ciphertext: Buffer.from(sealed.ciphertext, "base64url"),
    },
    recipient,
    associated,
  );
}
