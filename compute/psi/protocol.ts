import type { KeyObject } from "node:crypto";
import { z } from "zod";
import { scenarioTermsSchema } from "../../lib/approvals.js";
import { canonicalHash, canonicalize } from "../../lib/canonical-json.js";
import { signBytes, verifyBytes } from "../../lib/ed25519.js";
import { nodeTaskSchema } from "../protocol.js";
import { fieldNameSchema } from "../query/schema.js";

const id = z.string().min(1).max(128);
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const signature = z.string().regex(/^[A-Za-z0-9_-]{86}$/, "an Ed25519 signature is 64 bytes of base64url");

/** The most identifiers one side may bring to a PSI job (32 bytes each on the wire). */
export const MAX_PSI_ITEMS = 1_000_000;

/** Points on the wire: 32 bytes each, concatenated, base64. */
export const pointsSchema = z
  .string()
  .max(Math.ceil((MAX_PSI_ITEMS * 32) / 3) * 4)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, "points are base64");

/** The gateway's signed instruction to the owner node of a PSI job. */
export const psiPlanSchema = z.object({
  version: z.literal(2),
  kind: z.literal("psi"),
  jobId: id,
  scenarioId: id,
  idField: fieldNameSchema,
  idKind: z.enum(["uscc", "text"]),
  /** size: the owner counts the intersection and releases it noisy and k-checked; membership: the operator learns which of its ids are in. */
  output: z.enum(["size", "membership"]),
  epsilonMicro: z.number().int().min(0).max(10_000_000),
  minGroupSize: z.number().int().min(0),
  decisionHash: sha256Hex,
  requestId: z.string().max(128).optional(),
  terms: scenarioTermsSchema,
  task: nodeTaskSchema.refine((t) => t.role === "owner", { message: "PSI runs at an owner's node" }),
  issuedAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
});
export type PsiPlan = z.infer<typeof psiPlanSchema>;

export const psiStartSchema = z.object({ plan: psiPlanSchema, signature });

/** Round two: the operator's H(x)^a and, for the size, the owner's set raised to a and shuffled: H(y)^ba. */
export const psiAnswerRequestSchema = z.object({
  jobId: id,
  signature,
  operatorPoints: pointsSchema,
  ownerPointsRaised: pointsSchema.optional(),
});

/** The gateway ending a session early (the operator cancelled): the plan's signature names the session. */
export const psiCancelRequestSchema = z.strictObject({ jobId: id, signature });

/** The node's first answer: its own set raised to its exponent, shuffled. */
export const psiOwnerSetSchema = z.object({
  jobId: id,
  nodeId: id,
  points: pointsSchema,
  count: z.number().int().min(0),
  /** Identifiers in the owner's column that are not valid codes: counted, never sent. */
  invalid: z.number().int().min(0),
  signature,
});
export type PsiOwnerSet = z.infer<typeof psiOwnerSetSchema>;

/** The node's last answer: the noisy size (or its suppression), or H(x)^ab in the operator's order. */
export const psiResultSchema = z.object({
  jobId: id,
  nodeId: id,
  output: z.enum(["size", "membership"]),
  size: z.number().int().nullable(),
  suppressed: z.boolean(),
  answers: pointsSchema.optional(),
  signature,
});
export type PsiResult = z.infer<typeof psiResultSchema>;

const message = (kind: string, body: unknown) => canonicalize({ kind, body });
const ownerSetBody = (s: Omit<PsiOwnerSet, "signature">) => ({ ...s, points: canonicalHash(s.points) });
const resultBody = (r: Omit<PsiResult, "signature">) => ({
  ...r,
  answers: r.answers ? canonicalHash(r.answers) : null,
});

export const signPsiPlan = (plan: PsiPlan, key: KeyObject | string) => ({
  plan,
  signature: signBytes(key, message("sluice/psi-plan", plan)),
});
export const verifyPsiPlan = (plan: PsiPlan, sig: string, key: KeyObject | string) =>
  verifyBytes(key, message("sluice/psi-plan", plan), sig);

export const signPsiOwnerSet = (s: Omit<PsiOwnerSet, "signature">, key: KeyObject | string): PsiOwnerSet => ({
  ...s,
  signature: signBytes(key, message("sluice/psi-owner-set", ownerSetBody(s))),
});
export const verifyPsiOwnerSet = ({ signature: sig, ...s }: PsiOwnerSet, key: string) =>
  verifyBytes(key, message("sluice/psi-owner-set", ownerSetBody(s)), sig);

export const signPsiResult = (r: Omit<PsiResult, "signature">, key: KeyObject | string): PsiResult => ({
  ...r,
  signature: signBytes(key, message("sluice/psi-result", resultBody(r))),
});
export const verifyPsiResult = ({ signature: sig, ...r }: PsiResult, key: string) =>
  verifyBytes(key, message("sluice/psi-result", resultBody(r)), sig);
