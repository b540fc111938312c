// The few libsodium functions Sluice calls, as sodium-native 5 exposes them (it ships no types).
// Each writes its result into the first buffer and throws when libsodium returns an error, except
// the verification, which answers true or false.
declare module "sodium-native" {
  export function crypto_scalarmult(q: Uint8Array, n: Uint8Array, p: Uint8Array): void;
  export function crypto_core_ed25519_from_uniform(p: Uint8Array, r: Uint8Array): void;
  /** BLAKE2b (RFC 7693) of `input` into `output` (16–64 bytes), keyed when `key` (16–64 bytes) is given. */
  export function crypto_generichash(output: Uint8Array, input: Uint8Array, key?: Uint8Array): void;
  /** SipHash-2-4 of `input` into `output` (8 bytes) under `key` (16 bytes): a keyed hash for short inputs. */
  export function crypto_shorthash(output: Uint8Array, input: Uint8Array, key: Uint8Array): void;
  export const crypto_shorthash_BYTES: number;
  export const crypto_shorthash_KEYBYTES: number;
  /** Returns whether `signature` is `publicKey`'s Ed25519 signature over `message` (does not throw). */
  export function crypto_sign_verify_detached(
    signature: Uint8Array,
    message: Uint8Array,
    publicKey: Uint8Array,
  ): boolean;
  /** ChaCha20-Poly1305 (RFC 8439) of `message` into `ciphertext` (its length plus the 16-byte tag); `nsec` is always null. */
  export function crypto_aead_chacha20poly1305_ietf_encrypt(
    ciphertext: Uint8Array,
    message: Uint8Array,
    additionalData: Uint8Array | null,
    nsec: null,
    nonce: Uint8Array,
    key: Uint8Array,
  ): number;
  /** Opens `ciphertext` into `message` (16 bytes shorter); throws if the tag does not verify. */
  export function crypto_aead_chacha20poly1305_ietf_decrypt(
    message: Uint8Array,
    nsec: null,
    ciphertext: Uint8Array,
    additionalData: Uint8Array | null,
    nonce: Uint8Array,
    key: Uint8Array,
  ): number;
  const sodium: {
    crypto_aead_chacha20poly1305_ietf_encrypt: typeof crypto_aead_chacha20poly1305_ietf_encrypt;
    crypto_aead_chacha20poly1305_ietf_decrypt: typeof crypto_aead_chacha20poly1305_ietf_decrypt;
    crypto_scalarmult: typeof crypto_scalarmult;
    crypto_core_ed25519_from_uniform: typeof crypto_core_ed25519_from_uniform;
    crypto_sign_verify_detached: typeof crypto_sign_verify_detached;
    crypto_generichash: typeof crypto_generichash;
    crypto_shorthash: typeof crypto_shorthash;
    crypto_shorthash_BYTES: number;
    crypto_shorthash_KEYBYTES: number;
  };
  export default sodium;
}
