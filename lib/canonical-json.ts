import { createHash } from "node:crypto";
import { createRequire } from "node:module";

// `canonicalize` is CommonJS exporting the function itself; its typings describe an ES default export.
const canonicalizeJson = createRequire(import.meta.url)("canonicalize") as (input: unknown) => string | undefined;

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
