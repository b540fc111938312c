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

/** The pseudonyms of normalised keys, concatenated in their order, 16 bytes each. */
export function pseudonymsOf(key: Uint8Array, identifiers: readonly string[]): Buffer {
  if (key.length !== PSEUDONYM_KEY_BYTES) throw new RangeError(`a pseudonym key is ${PSEUDONYM_KEY_BYTES} bytes`);
  const out = Buffer.alloc(identifiers.length * PSEUDONYM_BYTES);
  const keyBuffer = Buffer.from(key);
  let scratch = Buffer.alloc(DOMAIN.length + 256);
  DOMAIN.copy(scratch);
  identifiers.forEach((identifier, i) => {
    const length = Buffer.byteLength(identifier);
    if (DOMAIN.length + length > scratch.length) {
      scratch = Buffer.alloc(DOMAIN.length + length);
      DOMAIN.copy(scratch);
    }
    scratch.write(identifier, DOMAIN.length);
    sodium.crypto_generichash(
      out.subarray(i * PSEUDONYM_BYTES, (i + 1) * PSEUDONYM_BYTES),
      scratch.subarray(0, DOMAIN.length + length),
      keyBuffer,
    );
  });
  return out;
}
