import { createHash } from "node:crypto";
import { configure } from "safe-stable-stringify";

// RFC 8785 (JCS) for the values Sluice hashes and signs: object keys sorted by UTF-16 code units,
// no whitespace, strings escaped and numbers written as ECMAScript's JSON.stringify writes them.
// safe-stable-stringify in deterministic mode writes exactly that for JSON values, twice as fast as
// the RFC's reference implementation (`canonicalize`), which the tests cross-check it against;
// `strict` makes it refuse what JSON cannot hold (NaN, infinities, BigInt, functions) instead of
// writing null, and a cycle is refused rather than written as a marker.
const stringifyCanonically = configure({
  deterministic: true,
  strict: true,
  bigint: false,
  circularValue: Error,
});

/** RFC 8785 (JCS) canonical form of a JSON value. Throws a TypeError on values JSON cannot represent. */
export function canonicalize(value: unknown): string {
  let text: string | undefined;
  try {
    text = stringifyCanonically(value);
  } catch (error) {
    throw new TypeError(`value has no canonical JSON form: ${(error as Error).message}`);
  }
  if (text === undefined) throw new TypeError("value has no canonical JSON form");
  return text;
}

/** SHA-256 of the RFC 8785 canonical form, as lowercase hex. */
export function canonicalHash(value: unknown): string {
  return createHash("sha256").update(canonicalize(value)).digest("hex");
}
