import { createHash } from "node:crypto";
import canonicalizeJson from "canonicalize";

/** RFC 8785 (JCS) canonical form of a JSON value. Throws on values JSON cannot represent. */
export function canonicalize(value: unknown): string {
  const text = canonicalizeJson(value);
  if (text === undefined) throw new TypeError("value has no canonical JSON form");
  return text;
}

/** SHA-256 of the RFC 8785 canonical form, as lowercase hex. */
export function canonicalHash(value: unknown): string {
  return createHash("sha256").update(canonicalize(value)).digest("hex");
}
