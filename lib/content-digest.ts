import { createHash } from "node:crypto";
import { parseDictionary } from "structured-headers";
import { AuthenticationError } from "./errors.js";

// RFC 9530 §5: the algorithms registered as active; others a recipient ignores.
const ALGORITHMS = { "sha-256": "sha256", "sha-512": "sha512" } as const;
type DigestAlgorithm = keyof typeof ALGORITHMS;

/** One digest a Content-Digest header states. */
export interface StatedDigest {
  algorithm: DigestAlgorithm;
  digest: Buffer;
}

/** RFC 9530 §2: `sha-256=:<base64 digest>:` of the exact body bytes. */
export function contentDigest(body: Uint8Array | string): string {
  return `sha-256=:${createHash("sha256").update(body).digest("base64")}:`;
}

const unusable = (detail: string) =>
  new AuthenticationError("digest_mismatch", `Content-Digest ${detail} (RFC 9530: sha-256 or sha-512)`);

/**
 * The digests of a Content-Digest header (RFC 9530 §2) that this platform can check: every member
 * with a known algorithm, which must be a byte sequence of that algorithm's length. Members with
 * other algorithms are ignored; at least one known member is required.
 */
export function readContentDigest(value: string | null | undefined): StatedDigest[] {
  if (!value) throw unusable("is missing");
  let members: ReturnType<typeof parseDictionary>;
  try {
    members = parseDictionary(value);
  } catch {
    throw unusable("is not a structured-field dictionary");
  }
  const stated: StatedDigest[] = [];
  for (const [name, [item]] of members) {
    if (!(name in ALGORITHMS)) continue;
    const algorithm = name as DigestAlgorithm;
    const length = algorithm === "sha-256" ? 32 : 64;
    if (!(item instanceof ArrayBuffer) || item.byteLength !== length)
      throw unusable(`member ${name} is not a ${length}-byte byte sequence`);
    stated.push({ algorithm, digest: Buffer.from(item) });
  }
  if (stated.length === 0) throw unusable("has no member this platform can check");
  return stated;
}

/** Whether every stated digest is the digest of these body bytes. */
export function digestsMatch(stated: StatedDigest[], body: Uint8Array): boolean {
  return stated.every(({ algorithm, digest }) =>
    createHash(ALGORITHMS[algorithm]).update(body).digest().equals(digest),
  );
}
