import { createHash, type KeyObject } from "node:crypto";
import { z } from "zod";
import { canonicalize } from "../../lib/canonical-json.js";
import { signBytes, verifyBytes } from "../../lib/ed25519.js";
import { ComputeError } from "../errors.js";
import { type EncryptionKeys, openBytes, type SealablePlaintext, sealBytes } from "../mpc/channel.js";

/** What one node of a join sends another, in protocol order. */
export const JOIN_MESSAGE_KINDS = [
  "pseudonym-key",
  "mask-seed",
  "owner-input",
  "operator-pseudonyms",
  "party-message",
  "opening",
] as const;
export type JoinMessageKind = (typeof JOIN_MESSAGE_KINDS)[number];

/** The largest message of a join between nodes (a million keys' pseudonyms and 60 cells each fit). */
export const MAX_JOIN_MESSAGE_BYTES = 1024 * 1024 * 1024;
const MAX_HEADER_BYTES = 4_096;

const id = z.string().min(1).max(128);

/**
 * The header of one sealed, signed message of a join; the ciphertext follows it as bytes. The
 * payload is sealed to the recipient's pinned X25519 key, and the sender signs the header, which
 * names the ciphertext by its SHA-256.
 */
export const joinHeaderSchema = z.strictObject({
  jobId: id,
  from: id,
  to: id,
  kind: z.enum(JOIN_MESSAGE_KINDS),
  /** Which multiplication an opening belongs to; 0 for the other kinds. */
  step: z.number().int().min(0).max(16),
  ephemeralKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  nonce: z.string().regex(/^[A-Za-z0-9_-]{16}$/),
  ciphertextSha256: z.string().regex(/^[0-9a-f]{64}$/),
  signature: z.string().regex(/^[A-Za-z0-9_-]{86}$/),
});
export type JoinHeader = z.infer<typeof joinHeaderSchema>;

/** A message as it travels: its signed header and its ciphertext. */
export interface JoinEnvelope {
  header: JoinHeader;
  ciphertext: Buffer;
}
type Address = Pick<JoinHeader, "jobId" | "from" | "to" | "kind" | "step">;

// The associated data binds the sealed bytes to their job, sender, recipient, kind and step.
const context = (h: Address) =>
  canonicalize({ kind: "sluice/join-message", jobId: h.jobId, from: h.from, to: h.to, message: h.kind, step: h.step });
const signingInput = (header: Omit<JoinHeader, "signature">) => canonicalize({ kind: "sluice/join-header", header });
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

export function sealJoinMessage(
  address: Address,
  payload: Uint8Array | SealablePlaintext,
  recipientEncryptionKey: string,
  senderKey: KeyObject | string,
): JoinEnvelope {
  const sealed = sealBytes(payload, recipientEncryptionKey, context(address));
  const unsigned = {
    ...address,
    ephemeralKey: sealed.ephemeralKey,
    nonce: sealed.nonce.toString("base64url"),
    ciphertextSha256: sha256(sealed.ciphertext),
  };
  return {
    header: { ...unsigned, signature: signBytes(senderKey, signingInput(unsigned)) },
    ciphertext: sealed.ciphertext,
  };
}

/**
 * The bytes on the wire, in two parts so that the ciphertext is sent as it lies: the header's length
 * (4 bytes, big-endian) and the header as JSON, padded with spaces so that the ciphertext starts on
 * an 8-byte boundary (the recipient opens it in place and reads ring elements where they lie), then
 * the ciphertext.
 */
export function joinMessageParts(envelope: JoinEnvelope): [Buffer, Buffer] {
  const header = Buffer.from(JSON.stringify(envelope.header));
  const padded = header.length + ((8 - ((4 + header.length) % 8)) % 8);
  const prefix = Buffer.alloc(4 + padded, " ");
  prefix.writeUInt32BE(padded);
  header.copy(prefix, 4);
  return [prefix, envelope.ciphertext];
}

export const joinMessageBytes = (envelope: JoinEnvelope): Buffer => Buffer.concat(joinMessageParts(envelope));

/** Reads a message's bytes; throws validation_failed naming what is malformed (nothing is verified yet). */
export function parseJoinMessage(bytes: Buffer): JoinEnvelope {
  const malformed = (why: string) => new ComputeError("validation_failed", `a malformed join message: ${why}`);
  if (bytes.length < 4) throw malformed("it is shorter than its header's length");
  const length = bytes.readUInt32BE(0);
  if (length > MAX_HEADER_BYTES || 4 + length > bytes.length) throw malformed("its header's length is wrong");
  let header: unknown;
  try {
    header = JSON.parse(bytes.subarray(4, 4 + length).toString("utf8"));
  } catch {
    throw malformed("its header is not JSON");
  }
  const parsed = joinHeaderSchema.safeParse(header);
  if (!parsed.success) throw malformed(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  return { header: parsed.data, ciphertext: bytes.subarray(4 + length) };
}

/** Verifies the header's signature by the sender's key (cheap: the header names the ciphertext by its digest). */
export function verifyJoinHeader(envelope: JoinEnvelope, senderPublicKey: string): void {
  const { signature, ...unsigned } = envelope.header;
  if (!verifyBytes(senderPublicKey, signingInput(unsigned), signature))
    throw new ComputeError("share_rejected", `the ${unsigned.kind} from ${unsigned.from} has a bad signature`);
}

/**
 * Verifies the sender's signature and the ciphertext's digest, and opens the payload; throws
 * share_rejected naming what failed. With `inPlace`, the payload is decrypted over the ciphertext,
 * which the caller must not need again.
 */
export function openJoinMessage(
  envelope: JoinEnvelope,
  senderPublicKey: string,
  recipient: EncryptionKeys,
  { inPlace = false }: { inPlace?: boolean } = {},
): Buffer {
  const unsigned = envelope.header;
  const what = `the ${unsigned.kind} from ${unsigned.from}`;
  verifyJoinHeader(envelope, senderPublicKey);
  if (sha256(envelope.ciphertext) !== unsigned.ciphertextSha256)
    throw new ComputeError("share_rejected", `${what} is not the ciphertext its sender signed`);
  try {
    return openBytes(
      {
        ephemeralKey: unsigned.ephemeralKey,
        nonce: Buffer.from(unsigned.nonce, "base64url"),
        ciphertext: envelope.ciphertext,
      },
      recipient,
      context(unsigned),
      { inPlace },
    );
  } catch (cause) {
    throw new ComputeError("share_rejected", `${what} cannot be opened`, { cause });
  }
}
