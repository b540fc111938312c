import { randomBytes } from "node:crypto";
import sodium from "sodium-native";

// Join keys travel to the helper only as keyed pseudonyms: BLAKE2b in its keyed mode (RFC 7693 §2.5,
// a PRF; libsodium's crypto_generichash) under a key the owners share for one job, which the
// helper, the gateway and the operator never hold, 128 bits long (the operator's list, when it
// restricts the join, is turned into pseudonyms by the first part's node). Equal keys give equal pseudonyms within the job and unrelated ones across jobs;
// without the key a pseudonym says nothing of the key it stands for.

export const PSEUDONYM_BYTES = 16;
export const PSEUDONYM_KEY_BYTES = 32;
const DOMAIN = Buffer.from("sluice/join-pseudonym/v1\0");

export function newPseudonymKey(): Buffer {
  return randomBytes(PSEUDONYM_KEY_BYTES);
}

/** The pseudonyms of normalised keys, concatenated in their order, 16 bytes each (into `out` when given). */
export function pseudonymsOf(
  key: Uint8Array,
  identifiers: readonly string[],
  out: Buffer = Buffer.alloc(identifiers.length * PSEUDONYM_BYTES),
): Buffer {
  if (key.length !== PSEUDONYM_KEY_BYTES) throw new RangeError(`a pseudonym key is ${PSEUDONYM_KEY_BYTES} bytes`);
  if (out.length !== identifiers.length * PSEUDONYM_BYTES)
    throw new RangeError("room for another number of pseudonyms");
  const keyBuffer = Buffer.from(key);
  const digest = Buffer.alloc(PSEUDONYM_BYTES);
  // One input buffer per key length, the domain written once: a key costs no allocation.
  const inputs = new Map<number, Buffer>();
  for (let i = 0; i < identifiers.length; i++) {
    const identifier = identifiers[i] as string;
    const length = Buffer.byteLength(identifier);
    let input = inputs.get(length);
    if (!input) {
      input = Buffer.alloc(DOMAIN.length + length);
      DOMAIN.copy(input);
      inputs.set(length, input);
    }
    input.write(identifier, DOMAIN.length);
    sodium.crypto_generichash(digest, input, keyBuffer);
    digest.copy(out, i * PSEUDONYM_BYTES);
  }
  return out;
}
