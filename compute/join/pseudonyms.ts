import { createHmac, randomBytes } from "node:crypto";

// Join keys travel to the helper only as keyed pseudonyms: HMAC-SHA-256 under a key the owners
// share for one job (and the operator, when its list restricts the join), which the helper and the
// gateway never hold, truncated to 128 bits. Equal keys give equal pseudonyms within the job and
// unrelated ones across jobs; without the key a pseudonym says nothing of the key it stands for.

export const PSEUDONYM_BYTES = 16;
export const PSEUDONYM_KEY_BYTES = 32;
const DOMAIN = "sluice/join-pseudonym/v1\0";

export function newPseudonymKey(): Buffer {
  return randomBytes(PSEUDONYM_KEY_BYTES);
}

/** The pseudonyms of normalised keys, concatenated in their order, 16 bytes each. */
export function pseudonymsOf(key: Uint8Array, identifiers: readonly string[]): Buffer {
  if (key.length !== PSEUDONYM_KEY_BYTES) throw new RangeError(`a pseudonym key is ${PSEUDONYM_KEY_BYTES} bytes`);
  const out = Buffer.alloc(identifiers.length * PSEUDONYM_BYTES);
  identifiers.forEach((identifier, i) => {
    createHmac("sha256", key)
      .update(DOMAIN)
      .update(identifier)
      .digest()
      .copy(out, i * PSEUDONYM_BYTES, 0, PSEUDONYM_BYTES);
  });
  return out;
}
