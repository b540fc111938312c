import type { KeyObject } from "node:crypto";
import { z } from "zod";
import { scenarioTermsSchema } from "../../lib/approvals.js";
import { canonicalize } from "../../lib/canonical-json.js";
import { signBytes, verifyBytes } from "../../lib/ed25519.js";
import { nodeTaskSchema } from "../protocol.js";
import { aggregateQuerySchema, aggregateQueryShape, fieldNameSchema } from "../query/schema.js";

const id = z.string().min(1).max(128);
const signature = z.string().regex(/^[A-Za-z0-9_-]{86}$/, "an Ed25519 signature is 64 bytes of base64url");
const ownerTaskSchema = nodeTaskSchema.options[0];
const helperTaskSchema = nodeTaskSchema.options[1];

/** The most ids an operator's own list may hold to restrict a join. */
export const MAX_OPERATOR_IDS = 1_000_000;
/** The operator's list as it travels to the first part's node, beside the plan that binds it by digest. */
export const operatorIdsSchema = z.array(z.string().min(1).max(64)).min(1).max(MAX_OPERATOR_IDS);

/** The most keys one owner brings to a join. */
export const MAX_JOIN_KEYS = 16_777_216;

/** The most rows a key may have at one owner: the noise grows with the product of the owners' caps. */
export const MAX_ROWS_PER_KEY = 100;

/** One owner's part of a joined aggregate: its dataset, its key column and the query over its own columns. */
export const joinPartSchema = z.object({
  /** The owner's node and dataset; `field` is the key column. */
  task: ownerTaskSchema,
  keyKind: z.enum(["uscc", "text"]),
  /** The measured field when this owner holds it; null when it contributes counts only. */
  measuredField: fieldNameSchema.nullable(),
  /** The owner's filters, and its group-by or bins, over its own columns only. */
  query: aggregateQuerySchema,
  maxRowsPerKey: z.number().int().min(1).max(MAX_ROWS_PER_KEY),
});
export type JoinPart = z.infer<typeof joinPartSchema>;

/**
 * The gateway's signed instruction for a joined aggregate. Parts are in fold order: the group-by
 * owner first, the measure's owner next; parts 0 and 1 are the compute parties.
 */
export const joinPlanSchema = z
  .object({
    version: z.literal(1),
    jobId: id,
    scenarioId: id,
    computeMode: z.literal("join"),
    /** The joined query as the operator asked it: the shape, the groups and bins, the bounds of the measure. */
    query: z.strictObject({
      aggregate: aggregateQueryShape.aggregate,
      groupBy: aggregateQueryShape.groupBy,
      bins: aggregateQueryShape.bins,
      bounds: aggregateQueryShape.bounds,
    }),
    parts: z.array(joinPartSchema).min(2).max(3),
    helper: helperTaskSchema,
    minGroupSize: z.number().int().min(0),
    /**
     * The operator's own id list, when it restricts the join (a semi-join): its size and the
     * canonical hash of the list as sent. The ids go to the first part's node only, which turns them
     * into pseudonyms under the job's key for the helper.
     */
    operatorIds: z
      .object({ count: z.number().int().min(1).max(MAX_OPERATOR_IDS), digest: z.string().regex(/^[0-9a-f]{64}$/) })
      .optional(),
    valueScale: z.union([z.literal(1), z.literal(100)]),
    epsilonMicro: z.number().int().min(0).max(10_000_000),
    decisionHash: z.string().regex(/^[0-9a-f]{64}$/),
    requestId: z.string().max(128).optional(),
    terms: scenarioTermsSchema,
    issuedAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
  })
  .refine((p) => new Set([...p.parts.map((x) => x.task.nodeId), p.helper.nodeId]).size === p.parts.length + 1, {
    message: "each node takes part once",
    path: ["parts"],
  });
export type JoinPlan = z.infer<typeof joinPlanSchema>;

export const signedJoinPlanSchema = z.object({
  plan: joinPlanSchema,
  signature,
  operatorIds: operatorIdsSchema.optional(),
});
export type SignedJoinPlan = z.infer<typeof signedJoinPlanSchema>;

const signingInput = (plan: JoinPlan) => canonicalize({ kind: "sluice/join-plan", body: plan });

export function signJoinPlan(plan: JoinPlan, gatewayKey: KeyObject | string): SignedJoinPlan {
  return { plan, signature: signBytes(gatewayKey, signingInput(plan)) };
}

export function verifyJoinPlan(signed: SignedJoinPlan, gatewayPublicKey: KeyObject | string): boolean {
  return verifyBytes(gatewayPublicKey, signingInput(signed.plan), signed.signature);
}

/** The per-key row caps of the parts, in order, for the noise. */
export const rowCapsOf = (plan: JoinPlan) => plan.parts.map((p) => p.maxRowsPerKey);
