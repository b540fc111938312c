import type { KeyObject } from "node:crypto";
import { z } from "zod";
import { scenarioTermsSchema, signedRuleContentSchema } from "../lib/approvals.js";
import { canonicalize } from "../lib/canonical-json.js";
import { signBytes, verifyBytes } from "../lib/ed25519.js";
import { heParameterSetSchema, MAX_KEY_CHARS } from "./he/params.js";
import { MAX_CIPHERTEXT_CHARS } from "./he/vectors.js";
import { aggregateQuerySchema } from "./query/schema.js";

const id = z.string().min(1).max(128);
const ed25519PublicKey = z.string().regex(/^[A-Za-z0-9_-]{43}$/, "an Ed25519 public key is 32 bytes of base64url");
const signature = z.string().regex(/^[A-Za-z0-9_-]{86}$/, "an Ed25519 signature is 64 bytes of base64url");

/** The owner's own word that it approved the scenario: its signature over the terms, or its signed auto-approval rule. */
export const approvalProofSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("signed"), ownerId: id, signature }),
  z.object({ kind: z.literal("rule"), ownerId: id, rule: signedRuleContentSchema, signature }),
]);
export type ApprovalProof = z.infer<typeof approvalProofSchema>;

const x25519PublicKey = z.string().regex(/^[A-Za-z0-9_-]{43}$/, "an X25519 public key is 32 bytes of base64url");
const base64url = z
  .string()
  .regex(/^[A-Za-z0-9_-]*$/)
  .max(4_000_000);

/**
 * One party of a job. An owner node aggregates one of its datasets (`field` is the measured field)
 * under its owner's approval; a helper node holds no data and only adds shares (and noise), so that
 * no two-owner job runs with fewer than three parties.
 */
export const nodeTaskSchema = z.discriminatedUnion("role", [
  z.object({
    role: z.literal("owner"),
    nodeId: id,
    url: z.url(),
    publicKey: ed25519PublicKey,
    encryptionKey: x25519PublicKey,
    datasetId: id,
    field: id,
    approval: approvalProofSchema,
  }),
  z.object({
    role: z.literal("helper"),
    nodeId: id,
    url: z.url(),
    publicKey: ed25519PublicKey,
    encryptionKey: x25519PublicKey,
  }),
]);
export type NodeTask = z.infer<typeof nodeTaskSchema>;
export type OwnerTask = Extract<NodeTask, { role: "owner" }>;

/** The gateway's signed instruction to every node taking part in a job. */
export const queryPlanSchema = z
  .object({
    version: z.literal(2),
    jobId: id,
    scenarioId: id,
    /** mpc: secret shares among the parties; he: each owner encrypts under the operator's key. */
    computeMode: z.enum(["mpc", "he"]).default("mpc"),
    /** For he: the operator's registered BFV public key every owner encrypts its cells under. */
    he: z
      .object({ keysId: id, paramSet: heParameterSetSchema, publicKey: z.string().min(1).max(MAX_KEY_CHARS.publicKey) })
      .optional(),
    /** The scenario's k: under he, each owner withholds its own cells below it before encrypting. */
    minGroupSize: z.number().int().min(0).default(0),
    query: aggregateQuerySchema,
    /** 1 for integer fields, 100 for decimals (hundredths): the fixed point every party uses. */
    valueScale: z.union([z.literal(1), z.literal(100)]),
    /** ε of this job in millionths; every party adds discrete Laplace noise that alone gives ε-DP. 0: no noise. */
    epsilonMicro: z.number().int().min(0).max(10_000_000),
    decisionHash: z.string().regex(/^[0-9a-f]{64}$/),
    /** Correlates the nodes' logs with the gateway's request. */
    requestId: z.string().max(128).optional(),
    /** The scenario's terms as its owners signed them; each node holds the plan to them. */
    terms: scenarioTermsSchema,
    tasks: z.array(nodeTaskSchema).min(2).max(16),
    issuedAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
  })
  .refine((p) => p.computeMode === "he" || p.tasks.length >= 3, {
    message: "secret sharing needs at least three parties (a helper node with two owners)",
    path: ["tasks"],
  })
  .refine((p) => (p.computeMode === "he") === (p.he !== undefined), {
    message: "an he plan names the operator's public key, and only an he plan does",
    path: ["he"],
  })
  .refine((p) => p.tasks.filter((t) => t.role === "owner").length >= 2, {
    message: "a job needs at least two owner nodes",
    path: ["tasks"],
  })
  .refine((p) => new Set(p.tasks.map((t) => t.nodeId)).size === p.tasks.length, {
    message: "each node takes part once",
    path: ["tasks"],
  });
export type QueryPlan = z.infer<typeof queryPlanSchema>;

export const signedPlanSchema = z.object({ plan: queryPlanSchema, signature });
export type SignedPlan = z.infer<typeof signedPlanSchema>;

/** One node's vector of shares for one peer, sealed to the peer's X25519 key and signed by the sender. */
export const shareMessageSchema = z.object({
  jobId: id,
  from: id,
  to: id,
  /** How many ring elements the sealed vector holds. */
  length: z.number().int().min(1).max(100_000),
  ephemeralKey: x25519PublicKey,
  nonce: base64url,
  ciphertext: base64url,
  signature,
});
export type ShareMessage = z.infer<typeof shareMessageSchema>;

/** What a node returns to the gateway: the sum of the shares it holds, never its own local values. */
export const partialResultSchema = z.object({
  jobId: id,
  nodeId: id,
  length: z.number().int().min(1).max(100_000),
  /** The vector, 16 bytes per ring element (big-endian), base64url. */
  partial: base64url,
  signature,
});
export type PartialResult = z.infer<typeof partialResultSchema>;

/** Under he: one owner's cells, encrypted under the operator's public key, signed by the node. */
export const encryptedPartialSchema = z.object({
  jobId: id,
  nodeId: id,
  length: z.number().int().min(1).max(100_000),
  ciphertext: z.string().min(1).max(MAX_CIPHERTEXT_CHARS),
  signature,
});
export type EncryptedPartial = z.infer<typeof encryptedPartialSchema>;

export function signEncryptedPartial(
  partial: Omit<EncryptedPartial, "signature">,
  nodeKey: KeyObject | string,
): EncryptedPartial {
  return { ...partial, signature: signBytes(nodeKey, signingInput("sluice/encrypted-partial", partial)) };
}

export function verifyEncryptedPartial(partial: EncryptedPartial, nodePublicKey: string): boolean {
  const { signature: sig, ...body } = partial;
  return verifyBytes(nodePublicKey, signingInput("sluice/encrypted-partial", body), sig);
}

/** The associated data a sealed share is bound to: a share for one job, sender or recipient opens for no other. */
export function shareContext(message: Pick<ShareMessage, "jobId" | "from" | "to" | "length">): string {
  return canonicalize({
    kind: "sluice/share-context",
    jobId: message.jobId,
    from: message.from,
    to: message.to,
    length: message.length,
  });
}

// Each signed message is bound to its kind, so a signature over one can never pass as another.
function signingInput(kind: string, body: unknown): string {
  return canonicalize({ kind, body });
}

export function signPlan(plan: QueryPlan, gatewayKey: KeyObject | string): SignedPlan {
  return { plan, signature: signBytes(gatewayKey, signingInput("sluice/plan", plan)) };
}

export function verifyPlan(signed: SignedPlan, gatewayPublicKey: KeyObject | string): boolean {
  return verifyBytes(gatewayPublicKey, signingInput("sluice/plan", signed.plan), signed.signature);
}

export function signShare(message: Omit<ShareMessage, "signature">, nodeKey: KeyObject | string): ShareMessage {
  return { ...message, signature: signBytes(nodeKey, signingInput("sluice/share", message)) };
}

export function verifyShare(message: ShareMessage, senderPublicKey: string): boolean {
  const { signature: sig, ...body } = message;
  return verifyBytes(senderPublicKey, signingInput("sluice/share", body), sig);
}

export function signPartial(partial: Omit<PartialResult, "signature">, nodeKey: KeyObject | string): PartialResult {
  return { ...partial, signature: signBytes(nodeKey, signingInput("sluice/partial", partial)) };
}

export function verifyPartial(partial: PartialResult, nodePublicKey: string): boolean {
  const { signature: sig, ...body } = partial;
  return verifyBytes(nodePublicKey, signingInput("sluice/partial", body), sig);
}
