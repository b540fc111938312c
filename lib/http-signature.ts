import { createHash, type KeyObject } from "node:crypto";
import { signBytes, verifyBytes, verifyBytesAsync } from "./ed25519.js";
import { AuthenticationError } from "./errors.js";

/** The components every Sluice request signs (RFC 9421 §2.2 derived components plus RFC 9530 Content-Digest). */
export const COVERED_COMPONENTS = ["@method", "@path", "@query", "content-digest"] as const;
export const SIGNATURE_LABEL = "sluice";

/** RFC 9530 §2: `sha-256=:<base64 digest>:` of the exact body bytes. */
export function contentDigest(body: Uint8Array | string): string {
  return `sha-256=:${createHash("sha256").update(body).digest("base64")}:`;
}

interface SignatureParams {
  created: number;
  keyid: string;
  nonce: string;
  alg: "ed25519";
}

// RFC 9421 §2.3: the serialised @signature-params inner list with its parameters.
function serialiseParams(params: SignatureParams): string {
  const list = COVERED_COMPONENTS.map((c) => `"${c}"`).join(" ");
  return `(${list});created=${params.created};keyid="${params.keyid}";nonce="${params.nonce}";alg="${params.alg}"`;
}

function componentValue(
  component: (typeof COVERED_COMPONENTS)[number],
  url: URL,
  method: string,
  digest: string,
): string {
  switch (component) {
    case "@method":
      return method.toUpperCase();
    case "@path":
      return url.pathname;
    case "@query":
      return url.search === "" ? "?" : url.search; // RFC 9421 §2.2.7: an empty query is "?"
    case "content-digest":
      return digest;
  }
}

// RFC 9421 §2.5: one line per covered component, then the @signature-params line.
export function signatureBase(method: string, url: URL, digest: string, params: SignatureParams): string {
  const lines = COVERED_COMPONENTS.map((c) => `"${c}": ${componentValue(c, url, method, digest)}`);
  lines.push(`"@signature-params": ${serialiseParams(params)}`);
  return lines.join("\n");
}

export interface SignRequestInput {
  method: string;
  url: string;
  body?: Uint8Array | string;
  keyId: string;
  privateKey: KeyObject | string;
  created?: number;
  nonce: string;
}

/** The headers that sign a request: Content-Digest, Signature-Input and Signature. */
export function signRequest(input: SignRequestInput): Record<string, string> {
  const digest = contentDigest(input.body ?? "");
  const params: SignatureParams = {
    created: input.created ?? Math.floor(Date.now() / 1000),
    keyid: input.keyId,
    nonce: input.nonce,
    alg: "ed25519",
  };
  if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(params.keyid) || !/^[A-Za-z0-9_-]{8,128}$/.test(params.nonce)) {
    throw new TypeError("key id and nonce must be simple tokens");
  }
  const base = signatureBase(input.method, new URL(input.url), digest, params);
  const signature = Buffer.from(signBytes(input.privateKey, base), "base64url").toString("base64");
  return {
    "content-digest": digest,
    "signature-input": `${SIGNATURE_LABEL}=${serialiseParams(params)}`,
    signature: `${SIGNATURE_LABEL}=:${signature}:`,
  };
}

export interface VerifiedSignature {
  keyId: string;
  created: number;
  nonce: string;
}

const INPUT_PATTERN = new RegExp(
  `^${SIGNATURE_LABEL}=\\(${COVERED_COMPONENTS.map((c) => `"${c}"`).join(" ")}\\);created=(\\d{1,12});keyid="([A-Za-z0-9_.:-]{1,128})";nonce="([A-Za-z0-9_-]{8,128})";alg="ed25519"$`,
);

/** Parses Signature-Input without verifying anything, so the verifier knows which key to look up. */
export function readSignatureInput(headers: HeaderSource): VerifiedSignature {
  const input = headers.get("signature-input");
  if (!input)
    throw new AuthenticationError("signature_missing", "the request is not signed: Signature-Input is missing");
  const match = INPUT_PATTERN.exec(input);
  if (!match) {
    throw new AuthenticationError(
      "signature_malformed",
      `Signature-Input must cover exactly (${COVERED_COMPONENTS.join(" ")}) with created, keyid, nonce and alg="ed25519"`,
    );
  }
  return { created: Number(match[1]), keyId: match[2] as string, nonce: match[3] as string };
}

/** The headers a verifier reads; a Fetch `Headers` or anything with the same `get`. */
export interface HeaderSource {
  get(name: string): string | null | undefined;
}

export interface VerifyRequestInput {
  method: string;
  url: string;
  headers: HeaderSource;
  body: Uint8Array;
  publicKey: string;
  now?: number;
  maxSkewSeconds?: number;
}

interface PreparedVerification {
  params: VerifiedSignature;
  base: string;
  signature: string;
  digest: string;
}

const DIGEST_PATTERN = /^sha-256=:[A-Za-z0-9+/]{43}=:$/;
const digestMismatch = () =>
  new AuthenticationError(
    "digest_mismatch",
    "Content-Digest is missing or does not match the body (RFC 9530, sha-256)",
  );

/** Every check of the headers but the signature itself; throws naming what failed. The body is not needed. */
function prepare(input: Omit<VerifyRequestInput, "body">): PreparedVerification {
  const params = readSignatureInput(input.headers);
  const now = input.now ?? Math.floor(Date.now() / 1000);
  const skew = input.maxSkewSeconds ?? 300;
  if (Math.abs(now - params.created) > skew) {
    throw new AuthenticationError(
      "signature_expired",
      `the signature was created ${now - params.created} s from now; at most ${skew} s is accepted`,
    );
  }
  const digest = input.headers.get("content-digest");
  if (!digest || !DIGEST_PATTERN.test(digest)) throw digestMismatch();
  if (!input.headers.get("signature"))
    throw new AuthenticationError("signature_missing", "the Signature header is missing");
  const signature = readSignatureBytes(input.headers);
  if (!signature) throw new AuthenticationError("signature_malformed", "Signature is not a sluice=:…: byte sequence");
  return { params, base: baseOf(input, params, digest), signature, digest };
}

function baseOf(input: Pick<VerifyRequestInput, "method" | "url">, params: VerifiedSignature, digest: string): string {
  return signatureBase(input.method, new URL(input.url), digest, { ...params, keyid: params.keyId, alg: "ed25519" });
}

function invalid(params: VerifiedSignature): AuthenticationError {
  return new AuthenticationError("signature_invalid", `the signature does not verify with the key of ${params.keyId}`);
}

/** Verifies a request signed by signRequest; throws AuthenticationError naming what failed. */
export function verifyRequest(input: VerifyRequestInput): VerifiedSignature {
  const { params, base, signature, digest } = prepare(input);
  if (digest !== contentDigest(input.body)) throw digestMismatch();
  if (!verifyBytes(input.publicKey, base, signature)) throw invalid(params);
  return params;
}

/**
 * verifyRequest with the Ed25519 check on the thread pool (a busy gateway verifies on every core),
 * and the body read only once the signature over its Content-Digest holds: an unsigned caller
 * cannot make the gateway buffer a large body.
 */
export async function verifyRequestAsync(
  input: Omit<VerifyRequestInput, "body"> & { body: Uint8Array | (() => Promise<Uint8Array>) },
): Promise<VerifiedSignature> {
  const { params, base, signature, digest } = prepare(input);
  if (!(await verifyBytesAsync(input.publicKey, base, signature))) throw invalid(params);
  const body = typeof input.body === "function" ? await input.body() : input.body;
  if (digest !== contentDigest(body)) throw digestMismatch();
  return params;
}

function readSignatureBytes(headers: HeaderSource): string | undefined {
  const base64 = /^sluice=:([A-Za-z0-9+/]+={0,2}):$/.exec(headers.get("signature") ?? "")?.[1];
  return base64 && Buffer.from(base64, "base64").toString("base64url");
}

/**
 * Whether the request's signature verifies with this key (for telling a retired key from a
 * forgery), checked on libuv's thread pool like every other request signature, never on the event loop.
 */
export async function signatureMatchesKey(
  input: Pick<VerifyRequestInput, "method" | "url" | "headers">,
  publicKey: string,
): Promise<boolean> {
  const params = readSignatureInput(input.headers);
  const signature = readSignatureBytes(input.headers);
  if (!signature) return false;
  return verifyBytesAsync(publicKey, baseOf(input, params, input.headers.get("content-digest") ?? ""), signature);
}
