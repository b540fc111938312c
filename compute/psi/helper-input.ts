import type { KeyObject } from "node:crypto";
import { z } from "zod";
import { canonicalHash, canonicalize } from "../../lib/canonical-json.js";
import { signBytes, verifyBytes } from "../../lib/ed25519.js";
import { ComputeError } from "../errors.js";
import { type EncryptionKeys, open, seal } from "../mpc/channel.js";
import { MAX_PSI_ITEMS } from "./limits.js";

// What an owner's node hands the helper through the gateway: bytes sealed to the helper's X25519
// key (mpc/channel.ts) and signed by the owner's node, so the gateway carries them without reading
// or altering them. The job, both nodes, the kind and the count are bound in as associated data.

const base64url = (maxBytes: number) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/)
    .max(Math.ceil((maxBytes * 4) / 3) + 4);
const x25519PublicKey = z.string().regex(/^[A-Za-z0-9_-]{43}$/, "an X25519 public key is 32 bytes of base64url");
const signature = z.string().regex(/^[A-Za-z0-9_-]{86}$/, "an Ed25519 signature is 64 bytes of base64url");

/** sum-seed: the seed of the helper's shares of every entity's total; membership-bits: one bit per operator point. */
export type HelperInputKind = "sum-seed" | "membership-bits";

export const helperInputSchema = z.strictObject({
  kind: z.enum(["sum-seed", "membership-bits"]),
  /** Entities (sum-seed) or the operator's points (membership-bits) the sealed bytes cover. */
  count: z.number().int().min(0).max(MAX_PSI_ITEMS),
  ephemeralKey: x25519PublicKey,
  nonce: base64url(12),
  ciphertext: base64url(Math.ceil(MAX_PSI_ITEMS / 8) + 16),
  signature,
});
export type HelperInput = z.infer<typeof helperInputSchema>;

export interface HelperInputRoute {
  jobId: string;
  /** The owner's node that seals and signs. */
  from: string;
  /** The helper node it is sealed to. */
  to: string;
}

export const SEED_BYTES = 32;

/** How many bytes the sealed plaintext holds for `count` items of a kind. */
export function helperInputBytes(kind: HelperInputKind, count: number): number {
  return kind === "sum-seed" ? SEED_BYTES : Math.ceil(count / 8);
}

const associated = (kind: HelperInputKind, route: HelperInputRoute, count: number) =>
  canonicalize({ kind, ...route, count });
const signedMessage = (input: Omit<HelperInput, "signature">, route: HelperInputRoute) =>
  canonicalize({
    kind: "sluice/psi-helper-input",
    body: {
      ...route,
      kind: input.kind,
      count: input.count,
      sealed: canonicalHash([input.ephemeralKey, input.nonce, input.ciphertext]),
    },
  });

/** Seals bytes for the helper and signs them with the owner node's key. */
export function sealForHelper(
  kind: HelperInputKind,
  route: HelperInputRoute,
  helperEncryptionKey: string,
  count: number,
  bytes: Uint8Array,
  signingKey: KeyObject | string,
): HelperInput {
  if (bytes.length !== helperInputBytes(kind, count))
    throw new RangeError(`${kind} of ${count} items is the wrong length`);
  const sealed = seal(bytes, helperEncryptionKey, associated(kind, route, count));
  const unsigned = { kind, count, ...sealed };
  return { ...unsigned, signature: signBytes(signingKey, signedMessage(unsigned, route)) };
}

const rejected = (message: string) => new ComputeError("share_rejected", message);

/**
 * Opens an owner's input at the helper: signed by that owner's node, of the kind expected, sealed to
 * this helper for this job, of the length its count says. Anything else is refused.
 */
export function openHelperInput(
  input: HelperInput,
  expected: HelperInputKind,
  route: HelperInputRoute,
  ownerPublicKey: string,
  helper: EncryptionKeys,
): Buffer {
  const { signature: sig, ...unsigned } = input;
  if (input.kind !== expected) throw rejected(`expected ${expected}, got ${input.kind}`);
  if (!verifyBytes(ownerPublicKey, signedMessage(unsigned, route), sig)) {
    throw rejected(`the ${expected} are not signed by node ${route.from}`);
  }
  const bytes = open(input, helper, associated(input.kind, route, input.count));
  if (bytes.length !== helperInputBytes(input.kind, input.count)) {
    throw rejected(`the ${expected} hold ${bytes.length} bytes, not what ${input.count} items take`);
  }
  return bytes;
}
