import type { KeyObject } from "node:crypto";
import { z } from "zod";
import { scenarioTermsSchema } from "../../lib/approvals.js";
import { canonicalHash, canonicalize } from "../../lib/canonical-json.js";
import { signBytes, verifyBytes } from "../../lib/ed25519.js";
import { MAX_ABS_VALUE } from "../node/datastore.js";
import { nodeTaskSchema } from "../protocol.js";
import { fieldNameSchema } from "../query/schema.js";
import { type HelperInput, helperInputSchema } from "./helper-input.js";
import { MAX_PSI_CHUNKS, MAX_PSI_ITEMS, PSI_CHUNK_ITEMS } from "./limits.js";

const id = z.string().min(1).max(128);
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const signature = z.string().regex(/^[A-Za-z0-9_-]{86}$/, "an Ed25519 signature is 64 bytes of base64url");

export { MAX_PSI_ITEMS, PSI_CHUNK_ITEMS } from "./limits.js";

const base64 = (maxBytes: number, what: string) =>
  z
    .string()
    .max(Math.ceil(maxBytes / 3) * 4)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, `${what} are base64`);

/** One chunk of points on the wire: up to PSI_CHUNK_ITEMS of 32 bytes, concatenated, base64. */
export const pointsSchema = base64(PSI_CHUNK_ITEMS * 32, "points");
const chunkIndex = z
  .number()
  .int()
  .min(0)
  .max(MAX_PSI_CHUNKS - 1);

const keptValue = z.number().int().min(-MAX_ABS_VALUE).max(MAX_ABS_VALUE);

/** PSI-sum: the owner's column summed over the intersection, each entity's total clamped to [min, max] (kept units). */
export const psiSumTermsSchema = z
  .strictObject({
    valueField: fieldNameSchema,
    /** 100 when the column is a decimal kept in hundredths, else 1. */
    valueScale: z.union([z.literal(1), z.literal(100)]),
    min: keptValue,
    max: keptValue,
    /**
     * The operator's X25519 key for this job (made by its SDK): the owner seals the operator's
     * shares to it, so the gateway that relays them cannot read them.
     */
    operatorKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/, "an X25519 public key is 32 bytes of base64url"),
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

/** A request about an open session: the plan's signature names it. */
const sessionRequest = { jobId: id, signature };

/** A page of the owner's set: H(y)^b for the entities at [index·chunk, (index+1)·chunk) of its shuffled order. */
export const psiPageRequestSchema = z.strictObject({ ...sessionRequest, index: chunkIndex });
export const psiPageSchema = z.strictObject({
  jobId: id,
  index: chunkIndex,
  points: pointsSchema,
  /**
   * A sum: the operator's share of each of these entities' clamped totals (16 bytes each), sealed to
   * the operator's key for the job (mpc/channel.ts, associated data operatorSharesContext).
   */
  operatorShares: z
    .strictObject({
      ephemeralKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
      nonce: z.string().regex(/^[A-Za-z0-9_-]{16}$/),
      ciphertext: z
        .string()
        .regex(/^[A-Za-z0-9_-]*$/)
        .max(Math.ceil(((PSI_CHUNK_ITEMS * 16 + 16) * 4) / 3) + 4),
    })
    .optional(),
});
export type PsiPage = z.infer<typeof psiPageSchema>;

/** What a page's sealed operator shares are bound to: the job and the page. */
export const operatorSharesContext = (jobId: string, index: number) =>
  canonicalize({ kind: "sluice/psi-operator-shares", jobId, index });

/** A chunk the operator sends: its own points H(x)^a, or the owner's points raised by it and sorted, H(y)^ba. */
export const psiChunkSchema = z.strictObject({ ...sessionRequest, index: chunkIndex, points: pointsSchema });
/** The node's receipt of a chunk; for membership, the chunk raised by the node (H(x)^ab), in order. */
export const psiChunkReceiptSchema = z.strictObject({
  jobId: id,
  index: chunkIndex,
  count: z.number().int().min(0).max(PSI_CHUNK_ITEMS),
  answers: pointsSchema.optional(),
});
export type PsiChunkReceipt = z.infer<typeof psiChunkReceiptSchema>;

/** The end of the operator's uploads: how many chunks and points it sent, so none is missing. */
export const psiAnswerRequestSchema = z.strictObject({
  ...sessionRequest,
  operatorChunks: z.number().int().min(0).max(MAX_PSI_CHUNKS),
  operatorCount: z.number().int().min(0).max(MAX_PSI_ITEMS),
});

/** The gateway ending a session early (the operator cancelled): the plan's signature names the session. */
export const psiCancelRequestSchema = z.strictObject({ jobId: id, signature });

/** The node's first answer: how many entities its set holds (fetched in pages), and for a sum the helper's seed. */
export const psiOwnerSetSchema = z.object({
  jobId: id,
  nodeId: id,
  count: z.number().int().min(0).max(MAX_PSI_ITEMS),
  /** Identifiers in the owner's column that are not valid codes: counted, never sent. */
  invalid: z.number().int().min(0),
  chunkSize: z.literal(PSI_CHUNK_ITEMS),
  /** PSI-sum: the seed of the helper's shares, sealed to the helper and signed by this node. */
  helperSeed: helperInputSchema.optional(),
  signature,
});
export type PsiOwnerSet = z.infer<typeof psiOwnerSetSchema>;

/** The node's last answer: the noisy size (or its suppression); for a sum, how many pages of answers wait. */
export const psiResultSchema = z.object({
  jobId: id,
  nodeId: id,
  output: z.enum(["size", "membership", "sum"]),
  size: z.number().int().nullable(),
  suppressed: z.boolean(),
  /** A sum: the operator's points raised by the node (H(x)^ab), sorted, in this many pages. */
  answerChunks: z.number().int().min(0).max(MAX_PSI_CHUNKS).optional(),
  /** A two-owner size: this owner's membership bits over the operator's points, sealed to the helper. */
  helperBits: helperInputSchema.optional(),
  signature,
});
export type PsiResult = z.infer<typeof psiResultSchema>;

const message = (kind: string, body: unknown) => canonicalize({ kind, body });
const hashOf = (helperInput: HelperInput | undefined) => (helperInput ? canonicalHash(helperInput) : null);
const ownerSetBody = (s: Omit<PsiOwnerSet, "signature">) => ({ ...s, helperSeed: hashOf(s.helperSeed) });
const resultBody = (r: Omit<PsiResult, "signature">) => ({ ...r, helperBits: hashOf(r.helperBits) });

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
