import type { KeyObject } from "node:crypto";
import { z } from "zod";
import { scenarioTermsSchema } from "../../lib/approvals.js";
import { canonicalHash, canonicalize } from "../../lib/canonical-json.js";
import { signBytes, verifyBytes } from "../../lib/ed25519.js";
import { MAX_ABS_VALUE } from "../node/datastore.js";
import { nodeTaskSchema } from "../protocol.js";
import { fieldNameSchema } from "../query/schema.js";
import { type HelperInput, helperInputSchema } from "./helper-input.js";
import { MAX_PSI_ITEMS } from "./limits.js";

const id = z.string().min(1).max(128);
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const signature = z.string().regex(/^[A-Za-z0-9_-]{86}$/, "an Ed25519 signature is 64 bytes of base64url");

export { MAX_PSI_ITEMS } from "./limits.js";

/** Points on the wire: 32 bytes each, concatenated, base64. */
export const pointsSchema = z
  .string()
  .max(Math.ceil((MAX_PSI_ITEMS * 32) / 3) * 4)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, "points are base64");

const keptValue = z.number().int().min(-MAX_ABS_VALUE).max(MAX_ABS_VALUE);

/** PSI-sum: the owner's column summed over the intersection, each entity's total clamped to [min, max] (kept units). */
export const psiSumTermsSchema = z
  .strictObject({
    valueField: fieldNameSchema,
    /** 100 when the column is a decimal kept in hundredths, else 1. */
    valueScale: z.union([z.literal(1), z.literal(100)]),
    min: keptValue,
    max: keptValue,
  })
  .refine((s) => s.min <= s.max, { message: "min must not be above max" });
export type PsiSumTerms = z.infer<typeof psiSumTermsSchema>;

/** Two owners: the size of X ∩ (Y1 ∪ Y2) or X ∩ Y1 ∩ Y2, combined by the helper from each owner's membership bits. */
export const psiCombineSchema = z.strictObject({
  op: z.enum(["union", "intersection"]),
  /** The owners' node ids, in the order the helper combines them. */
  owners: z.tuple([id, id]).refine(([a, b]) => a !== b, { message: "two different owners" }),
});
export type PsiCombine = z.infer<typeof psiCombineSchema>;

const helperTaskSchema = nodeTaskSchema.refine((t) => t.role === "helper", { message: "the helper's task" });

/** The gateway's signed instruction to the owner node of a PSI job. */
export const psiPlanSchema = z
  .object({
    version: z.literal(2),
    kind: z.literal("psi"),
    jobId: id,
    scenarioId: id,
    idField: fieldNameSchema,
    idKind: z.enum(["uscc", "text"]),
    /**
     * size: the owner counts the intersection and releases it noisy and k-checked (with `combine`, the
     * helper combines two owners' bits instead); membership: the operator learns which of its ids are
     * in; sum: the helper releases the owner's column summed over the intersection, noisy and k-checked.
     */
    output: z.enum(["size", "membership", "sum"]),
    sum: psiSumTermsSchema.optional(),
    combine: psiCombineSchema.optional(),
    /** The platform's helper node, which releases a sum or a two-owner size. */
    helper: helperTaskSchema.optional(),
    epsilonMicro: z.number().int().min(0).max(10_000_000),
    minGroupSize: z.number().int().min(0),
    decisionHash: sha256Hex,
    requestId: z.string().max(128).optional(),
    terms: scenarioTermsSchema,
    task: nodeTaskSchema.refine((t) => t.role === "owner", { message: "PSI runs at an owner's node" }),
    issuedAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
  })
  .refine((p) => (p.output === "sum") === (p.sum !== undefined), {
    message: "a sum needs its value field and bounds, and only a sum has them",
  })
  .refine((p) => p.combine === undefined || p.output === "size", { message: "two owners combine sizes only" })
  .refine((p) => (p.sum !== undefined || p.combine !== undefined) === (p.helper !== undefined), {
    message: "a sum or a two-owner size names the helper node, and nothing else does",
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
  /** PSI-sum: the operator's share of each entity's clamped total, beside its point (16 bytes each, base64). */
  operatorShares: z
    .string()
    .regex(/^[A-Za-z0-9+/]*={0,2}$/)
    .optional(),
  /** PSI-sum: the helper's shares, sealed to the helper and signed by this node. */
  helperShares: helperInputSchema.optional(),
  signature,
});
export type PsiOwnerSet = z.infer<typeof psiOwnerSetSchema>;

/** The node's last answer: the noisy size (or its suppression), or H(x)^ab in the operator's order. */
export const psiResultSchema = z.object({
  jobId: id,
  nodeId: id,
  output: z.enum(["size", "membership", "sum"]),
  size: z.number().int().nullable(),
  suppressed: z.boolean(),
  answers: pointsSchema.optional(),
  /** A two-owner size: this owner's membership bits over the operator's points, sealed to the helper. */
  helperBits: helperInputSchema.optional(),
  signature,
});
export type PsiResult = z.infer<typeof psiResultSchema>;

const message = (kind: string, body: unknown) => canonicalize({ kind, body });
const hashOf = (helperInput: HelperInput | undefined) => (helperInput ? canonicalHash(helperInput) : null);
const ownerSetBody = (s: Omit<PsiOwnerSet, "signature">) => ({
  ...s,
  points: canonicalHash(s.points),
  operatorShares: s.operatorShares ? canonicalHash(s.operatorShares) : null,
  helperShares: hashOf(s.helperShares),
});
const resultBody = (r: Omit<PsiResult, "signature">) => ({
  ...r,
  answers: r.answers ? canonicalHash(r.answers) : null,
  helperBits: hashOf(r.helperBits),
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
