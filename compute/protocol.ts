import type { KeyObject } from "node:crypto";
import { z } from "zod";
import { scenarioTermsSchema, signedRuleContentSchema } from "../lib/approvals.js";
import { canonicalize } from "../lib/canonical-json.js";
import { signBytes, verifyBytes } from "../lib/ed25519.js";

const id = z.string().min(1).max(128);
const ed25519PublicKey = z.string().regex(/^[A-Za-z0-9_-]{43}$/, "an Ed25519 public key is 32 bytes of base64url");
const signature = z.string().regex(/^[A-Za-z0-9_-]{86}$/, "an Ed25519 signature is 64 bytes of base64url");
const ringElement = z.string().regex(/^(0|[1-9][0-9]{0,19})$/, "a ring element is a decimal integer below 2^64");

/** The owner's own word that it approved the scenario: its signature over the terms, or its signed auto-approval rule. */
export const approvalProofSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("signed"), ownerId: id, signature }),
  z.object({ kind: z.literal("rule"), ownerId: id, rule: signedRuleContentSchema, signature }),
]);
export type ApprovalProof = z.infer<typeof approvalProofSchema>;

/** One node's part of a job: which of its datasets and which field it aggregates, and its owner's approval. */
export const nodeTaskSchema = z.object({
  nodeId: id,
  url: z.url(),
  publicKey: ed25519PublicKey,
  datasetId: id,
  field: id,
  approval: approvalProofSchema,
});

/** The gateway's signed instruction to every node taking part in a job. */
export const queryPlanSchema = z.object({
  version: z.literal(1),
  jobId: id,
  scenarioId: id,
  aggregate: z.literal("sum"),
  decisionHash: z.string().regex(/^[0-9a-f]{64}$/),
  /** Correlates the nodes' logs with the gateway's request. */
  requestId: z.string().max(128).optional(),
  /** The scenario's terms as its owners signed them; each node holds the plan to them. */
  terms: scenarioTermsSchema,
  tasks: z.array(nodeTaskSchema).min(2).max(16),
  issuedAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
});
export type QueryPlan = z.infer<typeof queryPlanSchema>;

export const signedPlanSchema = z.object({ plan: queryPlanSchema, signature });
export type SignedPlan = z.infer<typeof signedPlanSchema>;

/** A share of one node's local value, sent to one peer. */
export const shareMessageSchema = z.object({
  jobId: id,
  from: id,
  to: id,
  share: ringElement,
  signature,
});
export type ShareMessage = z.infer<typeof shareMessageSchema>;

/** What a node returns to the gateway: the sum of the shares it holds, never its own local value. */
export const partialResultSchema = z.object({
  jobId: id,
  nodeId: id,
  partial: ringElement,
  signature,
});
export type PartialResult = z.infer<typeof partialResultSchema>;

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
