import type { KeyObject } from "node:crypto";
import type { Item, Parameters } from "structured-headers";
import { contentDigest, digestsMatch, readContentDigest, type StatedDigest } from "./content-digest.js";
import { signBytes, verifyBytes, verifyBytesAsync } from "./ed25519.js";
import { AuthenticationError } from "./errors.js";
import type { HeaderSource, SignedRequest } from "./rfc9421/components.js";
import {
  bareComponent,
  type MessageSignature,
  readMessageSignatures,
  signatureBase,
  signatureHeaders,
} from "./rfc9421/signatures.js";

export { contentDigest } from "./content-digest.js";
export type { HeaderSource } from "./rfc9421/components.js";

/**
 * The Sluice profile of RFC 9421: what a request's signature must cover and carry for the gateway
 * to accept it. A signature may cover more (any derived component, any header) and may sit beside
 * other signatures under any label; the first one that meets the profile is the one verified.
 */
export const REQUIRED_COMPONENTS = ["@method", "@path", "@query", "content-digest"] as const;
/** The label this platform's signers use; a verifier accepts any. */
export const SIGNATURE_LABEL = "sluice";
const KEY_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const NONCE = /^[A-Za-z0-9_-]{8,128}$/;
const ED25519_SIGNATURE_BYTES = 64;

export interface SignRequestInput {
  method: string;
  url: string;
  body?: Uint8Array | string;
  keyId: string;
  privateKey: KeyObject | string;
  created?: number;
  nonce: string;
}

function requiredComponents(): Item[] {
  return REQUIRED_COMPONENTS.map(bareComponent);
}

/** The headers that sign a request: Content-Digest, Signature-Input and Signature. */
export function signRequest(input: SignRequestInput): Record<string, string> {
  if (!KEY_ID.test(input.keyId) || !NONCE.test(input.nonce)) {
    throw new TypeError("key id and nonce must be simple tokens");
  }
  const digest = contentDigest(input.body ?? "");
  const params: Parameters = new Map<string, string | number>([
    ["created", input.created ?? Math.floor(Date.now() / 1000)],
    ["keyid", input.keyId],
    ["nonce", input.nonce],
    ["alg", "ed25519"],
  ]);
  const signature = { components: requiredComponents(), params };
  const request = { method: input.method, url: new URL(input.url), headers: new Headers({ "content-digest": digest }) };
  const bytes = Buffer.from(signBytes(input.privateKey, signatureBase(request, signature)), "base64url");
  return { "content-digest": digest, ...signatureHeaders(SIGNATURE_LABEL, signature, bytes) };
}

export interface VerifiedSignature {
  keyId: string;
  created: number;
  nonce: string;
  /** The label of the signature that was verified. */
  label: string;
  expires?: number;
}

/** The request's signature that meets the profile, parsed once: what a verifier looks the key up by, and the rest. */
export interface ProfileSignature extends VerifiedSignature {
  message: MessageSignature & { signature: Uint8Array };
}

// Why a signature does not meet the profile, or undefined when it does.
function profileProblem(signature: MessageSignature): string | undefined {
  const covered = new Set(
    signature.components.filter(([, params]) => params.size === 0).map(([name]) => name as string),
  );
  const missing = REQUIRED_COMPONENTS.filter((name) => !covered.has(name));
  if (missing.length > 0) return `covers no ${missing.map((name) => `"${name}"`).join(", ")}`;
  const { params } = signature;
  const created = params.get("created");
  if (!Number.isInteger(created)) return "has no integer created";
  const expires = params.get("expires");
  if (expires !== undefined && !Number.isInteger(expires)) return "has an expires that is not an integer";
  const keyid = params.get("keyid");
  if (typeof keyid !== "string" || !KEY_ID.test(keyid)) return "has no keyid naming a participant";
  const nonce = params.get("nonce");
  if (typeof nonce !== "string" || !NONCE.test(nonce)) return "has no nonce of 8 to 128 letters, digits, - or _";
  const alg = params.get("alg");
  if (alg !== undefined && alg !== "ed25519") return `is alg ${String(alg)}; only "ed25519" is accepted`;
  if (!signature.signature) return "has no member in Signature";
  if (signature.signature.length !== ED25519_SIGNATURE_BYTES) return "is not a 64-byte Ed25519 signature";
  return undefined;
}

/**
 * The request's signature that meets the profile, parsed without verifying anything, so the
 * verifier knows which key to look up. Throws naming why no signature qualifies.
 */
function selectSignature(headers: HeaderSource): ProfileSignature {
  const signatures = readMessageSignatures(headers);
  if (signatures.length === 0)
    throw new AuthenticationError("signature_missing", "the request is not signed: Signature-Input is missing");
  if (headers.get("signature") == null)
    throw new AuthenticationError("signature_missing", "the Signature header is missing");
  const problems: string[] = [];
  for (const message of signatures) {
    const problem = profileProblem(message);
    if (problem) {
      problems.push(`${message.label} ${problem}`);
      continue;
    }
    const { params } = message;
    return {
      label: message.label,
      keyId: params.get("keyid") as string,
      created: params.get("created") as number,
      nonce: params.get("nonce") as string,
      ...(params.has("expires") ? { expires: params.get("expires") as number } : {}),
      message: message as ProfileSignature["message"],
    };
  }
  throw new AuthenticationError(
    "signature_malformed",
    `no signature meets the gateway's profile (it must cover ${REQUIRED_COMPONENTS.join(" ")} with created, keyid and nonce, Ed25519): ${problems.join("; ")}`,
  );
}

/**
 * The request's signature that meets the profile, so the verifier knows which key to look up; pass
 * it on to verifyRequestAsync and signatureMatchesKey so the headers are parsed once a request.
 */
export function readSignatureInput(headers: HeaderSource): ProfileSignature {
  return selectSignature(headers);
}

export interface VerifyRequestInput {
  method: string;
  url: string;
  headers: HeaderSource;
  /** The signature readSignatureInput already selected from these headers. */
  signature?: ProfileSignature;
  body: Uint8Array;
  publicKey: string;
  now?: number;
  maxSkewSeconds?: number;
}

interface PreparedVerification {
  params: VerifiedSignature;
  base: string;
  signature: string;
  digests: StatedDigest[];
}

const digestMismatch = () =>
  new AuthenticationError("digest_mismatch", "Content-Digest does not match the body (RFC 9530)");

function checkTimes(params: VerifiedSignature, now: number, skew: number) {
  if (Math.abs(now - params.created) > skew) {
    throw new AuthenticationError(
      "signature_expired",
      `the signature was created ${now - params.created} s from now; at most ${skew} s is accepted`,
    );
  }
  if (params.expires !== undefined && params.expires <= now) {
    throw new AuthenticationError("signature_expired", `the signature expired ${now - params.expires} s ago`);
  }
}

function requestOf(input: Pick<VerifyRequestInput, "method" | "url" | "headers">): SignedRequest {
  return { method: input.method, url: new URL(input.url), headers: input.headers };
}

/** Every check of the headers but the signature itself; throws naming what failed. The body is not needed. */
function prepare(input: Omit<VerifyRequestInput, "body">): PreparedVerification {
  const { message, ...params } = input.signature ?? selectSignature(input.headers);
  checkTimes(params, input.now ?? Math.floor(Date.now() / 1000), input.maxSkewSeconds ?? 300);
  const digests = readContentDigest(input.headers.get("content-digest"));
  const base = signatureBase(requestOf(input), message);
  return { params, base, signature: Buffer.from(message.signature).toString("base64url"), digests };
}

function invalid(params: VerifiedSignature): AuthenticationError {
  return new AuthenticationError("signature_invalid", `the signature does not verify with the key of ${params.keyId}`);
}

/** Verifies a request's signature under the profile; throws AuthenticationError naming what failed. */
export function verifyRequest(input: VerifyRequestInput): VerifiedSignature {
  const { params, base, signature, digests } = prepare(input);
  if (!digestsMatch(digests, input.body)) throw digestMismatch();
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
  const { params, base, signature, digests } = prepare(input);
  if (!(await verifyBytesAsync(input.publicKey, base, signature))) throw invalid(params);
  const body = typeof input.body === "function" ? await input.body() : input.body;
  if (!digestsMatch(digests, body)) throw digestMismatch();
  return params;
}

/**
 * Whether the request's signature verifies with this key (for telling a retired key from a
 * forgery), checked on libuv's thread pool like every other request signature, never on the event loop.
 */
export async function signatureMatchesKey(
  input: Pick<VerifyRequestInput, "method" | "url" | "headers" | "signature">,
  publicKey: string,
): Promise<boolean> {
  const { message } = input.signature ?? selectSignature(input.headers);
  const signature = Buffer.from(message.signature).toString("base64url");
  return verifyBytesAsync(publicKey, signatureBase(requestOf(input), message), signature);
}
