import { createHash } from "node:crypto";
import sodium from "sodium-native";
import { canonicalize } from "../lib/canonical-json.js";

/** What the audit found of one stored record on its own: intact, altered (content ≠ hash) or forged (bad signature). */
export const RECORD_INTACT = 0;
export const RECORD_ALTERED = 1;
export const RECORD_FORGED = 2;

export interface RecordCheck {
  /** One status per record, in order. */
  status: Uint8Array;
}

/**
 * Checks stored records as the audit reads them (their JSON text, stored hash and signature):
 * SHA-256 of the RFC 8785 form against the hash, and the gateway's Ed25519 signature (libsodium)
 * over that form. Runs in the audit's worker threads.
 */
export function checkRecords(
  texts: readonly string[],
  hashes: readonly string[],
  signatures: readonly string[],
  gatewayPublicKey: string,
): RecordCheck {
  const publicKey = Buffer.from(gatewayPublicKey, "base64url");
  const status = new Uint8Array(texts.length);
  for (let i = 0; i < texts.length; i++) {
    let canonical = "";
    try {
      canonical = canonicalize(JSON.parse(texts[i] as string));
    } catch {
      status[i] = RECORD_ALTERED;
      continue;
    }
    const bytes = Buffer.from(canonical);
    if (createHash("sha256").update(bytes).digest("hex") !== hashes[i]) {
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
  return { status };
}
