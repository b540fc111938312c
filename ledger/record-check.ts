import { createHash } from "node:crypto";
import sodium from "sodium-native";
import { canonicalize } from "../lib/canonical-json.js";

/** What the audit found of one stored record. */
export const RECORD_INTACT = 0;
/** Its content no longer hashes to its stored hash (nor to the chain's leaf). */
export const RECORD_ALTERED = 1;
/** Content and stored hash changed together: the chain's leaf differs, or (unanchored) the signature fails. */
export const RECORD_FORGED = 2;
/** The content is what the chain anchored, but the stored hash beside it was changed. */
export const RECORD_HASH_ALTERED = 3;

export interface RecordCheck {
  /** One status per record, in order. */
  status: Uint8Array;
  /** Each record's fee as its content states it (NaN when it states none). */
  fees: Float64Array;
}

/**
 * Checks stored records as the audit reads them (their JSON text and stored hash): the SHA-256 of
 * the RFC 8785 form against the chain's copy of the record's leaf when it was anchored (then no
 * signature is needed: the chain says what was written), and otherwise against the stored hash
 * and the gateway's Ed25519 signature (libsodium) over that form. Runs in the audit's worker threads.
 */
export function checkRecords(
  texts: readonly string[],
  hashes: readonly string[],
  /** The chain's leaf for each record (null: not anchored, check the signature instead). */
  chainLeaves: readonly (string | null)[],
  signatures: readonly string[],
  gatewayPublicKey: string,
): RecordCheck {
  const publicKey = Buffer.from(gatewayPublicKey, "base64url");
  const status = new Uint8Array(texts.length);
  const fees = new Float64Array(texts.length).fill(Number.NaN);
  for (let i = 0; i < texts.length; i++) {
    let canonical = "";
    try {
      const content = JSON.parse(texts[i] as string) as { feeFen?: unknown };
      if (typeof content.feeFen === "number") fees[i] = content.feeFen;
      canonical = canonicalize(content);
    } catch {
      status[i] = RECORD_ALTERED;
      continue;
    }
    const bytes = Buffer.from(canonical);
    const digest = createHash("sha256").update(bytes).digest("hex");
    const leaf = chainLeaves[i];
    if (leaf) {
      if (digest === leaf) status[i] = digest === hashes[i] ? RECORD_INTACT : RECORD_HASH_ALTERED;
      else status[i] = digest === hashes[i] ? RECORD_FORGED : RECORD_ALTERED;
      continue;
    }
    if (digest !== hashes[i]) {
      status[i] = RECORD_ALTERED;
      continue;
    }
    const signature = Buffer.from(signatures[i] as string, "base64url");
    const valid =
      signature.length === 64 &&
      publicKey.length === 32 &&
      sodium.crypto_sign_verify_detached(signature, bytes, publicKey);
    status[i] = valid ? RECORD_INTACT : RECORD_FORGED;
  }
  return { status, fees };
}
