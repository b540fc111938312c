import type { KeyObject } from "node:crypto";
import { z } from "zod";
import { canonicalize } from "../../lib/canonical-json.js";
import { signBytes, verifyBytes } from "../../lib/ed25519.js";
import { ComputeError } from "../errors.js";
import { type EncryptionKeys, open, seal } from "../mpc/channel.js";

/** What one node of a join sends another, in protocol order. */
export const JOIN_MESSAGE_KINDS = ["pseudonym-key", "mask-seed", "owner-input", "party-message", "opening"] as const;
export type JoinMessageKind = (typeof JOIN_MESSAGE_KINDS)[number];

/** The largest message of a join between nodes (a million keys' pseudonyms and cells fit). */
export const MAX_JOIN_MESSAGE_BYTES = 256 * 1024 * 1024;

const id = z.string().min(1).max(128);
const base64url = (max: number) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/)
    .max(max);

/** One sealed, signed message of a join: sealed to the recipient's pinned X25519 key, signed by the sender. */
export const joinEnvelopeSchema = z.object({
  jobId: id,
  from: id,
  to: id,
  kind: z.enum(JOIN_MESSAGE_KINDS),
  /** Which multiplication an opening belongs to; 0 for the other kinds. */
  step: z.number().int().min(0).max(16),
  ephemeralKey: base64url(43),
  nonce: base64url(16),
  ciphertext: base64url(Math.ceil((MAX_JOIN_MESSAGE_BYTES * 4) / 3)),
  signature: z.string().regex(/^[A-Za-z0-9_-]{86}$/),
});
export type JoinEnvelope = z.infer<typeof joinEnvelopeSchema>;
type Header = Pick<JoinEnvelope, "jobId" | "from" | "to" | "kind" | "step">;

// The associated data binds the sealed bytes to their job, sender, recipient, kind and step.
const context = (h: Header) =>
  canonicalize({ kind: "sluice/join-message", jobId: h.jobId, from: h.from, to: h.to, message: h.kind, step: h.step });
const signingInput = (body: Omit<JoinEnvelope, "signature">) => canonicalize({ kind: "sluice/join-envelope", body });

export function sealJoinMessage(
  header: Header,
  payload: Uint8Array,
  recipientEncryptionKey: string,
  senderKey: KeyObject | string,
): JoinEnvelope {
  const body = { ...header, ...seal(payload, recipientEncryptionKey, context(header)) };
  return { ...body, signature: signBytes(senderKey, signingInput(body)) };
}

/** Verifies the sender's signature and opens the payload; throws share_rejected naming what failed. */
export function openJoinMessage(envelope: JoinEnvelope, senderPublicKey: string, recipient: EncryptionKeys): Buffer {
  const { signature, ...body } = envelope;
  if (!verifyBytes(senderPublicKey, signingInput(body), signature))
    throw new ComputeError("share_rejected", `the ${envelope.kind} from ${envelope.from} has a bad signature`);
  try {
    return open(envelope, recipient, context(envelope));
  } catch (cause) {
    throw new ComputeError("share_rejected", `the ${envelope.kind} from ${envelope.from} cannot be opened`, { cause });
  }
}
