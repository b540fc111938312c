import { createHash, type KeyObject } from "node:crypto";
import { z } from "zod";
import { scenarioTermsSchema } from "../../lib/approvals.js";
import { canonicalHash, canonicalize } from "../../lib/canonical-json.js";
import { signBytes, verifyBytes } from "../../lib/ed25519.js";
import { MAX_KEY_CHARS } from "../he/params.js";
import {
  encryptedModelSchema,
  MAX_SCORING_FEATURES,
  MAX_SCORING_IDS,
  SCORES_PER_CIPHERTEXT,
} from "../he/scoring-model.js";
import { MAX_CIPHERTEXT_CHARS } from "../he/vectors.js";
import { nodeTaskSchema } from "../protocol.js";
import { fieldNameSchema } from "../query/schema.js";

const id = z.string().min(1).max(128);

/** The most owners one vertical score takes features from. */
export const MAX_VERTICAL_PARTS = 3;
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const signature = z.string().regex(/^[A-Za-z0-9_-]{86}$/, "an Ed25519 signature is 64 bytes of base64url");

/** An entity id as the operator names it (a unified social credit code, a loan applicant's number). */
export const entityIdSchema = z.string().min(1).max(64);

export const entityIdsSchema = z
  .array(entityIdSchema)
  .min(1)
  .max(MAX_SCORING_IDS)
  .refine((ids) => new Set(ids).size === ids.length, { message: "each id is named once" });

export const scoringFeaturesSchema = z
  .array(fieldNameSchema)
  .min(1)
  .max(MAX_SCORING_FEATURES)
  .refine((f) => new Set(f).size === f.length, { message: "each feature is named once" });

/** SHA-256 of a key as it travels: the plan names the keys the scores must be encrypted under. */
export function keyDigest(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * The gateway's signed instruction to the one owner node of a scoring job. The model and the ids
 * travel beside it and are bound to it by their digests, so the signature covers them without
 * canonicalising megabytes.
 */
export const scoringPlanSchema = z.object({
  version: z.literal(2),
  kind: z.literal("score"),
  jobId: id,
  scenarioId: id,
  he: z.object({
    keysId: id,
    paramSet: z.literal("ckks-8192"),
    publicKeyDigest: sha256Hex,
    relinKeysDigest: sha256Hex.optional(),
  }),
  idField: fieldNameSchema,
  features: scoringFeaturesSchema,
  modelKind: z.enum(["linear", "quadratic"]),
  modelDigest: sha256Hex,
  idsDigest: sha256Hex,
  idCount: z.number().int().min(1).max(MAX_SCORING_IDS),
  /**
   * One owner's part of a vertical score (features from several owners, one linear model): first
   * the ids this node holds are asked (`holdings`), then the ids every part holds are scored
   * (`score`), slot-aligned with the other parts so that the gateway can add the ciphertexts. One
   * part adds the bias.
   */
  vertical: z
    .object({
      stage: z.enum(["holdings", "score"]),
      parts: z.number().int().min(2).max(MAX_VERTICAL_PARTS),
      addsBias: z.boolean(),
    })
    .optional(),
  /** ε per entity in millionths: each feature of each record gets discrete Laplace noise for it. 0: none. */
  epsilonMicro: z.number().int().min(0).max(10_000_000),
  decisionHash: sha256Hex,
  requestId: z.string().max(128).optional(),
  terms: scenarioTermsSchema,
  task: nodeTaskSchema.refine((t) => t.role === "owner", { message: "scoring runs at an owner's node" }),
  issuedAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
});
export type ScoringPlan = z.infer<typeof scoringPlanSchema>;

/**
 * What the gateway POSTs to the node's /scores. A vertical score's second stage may leave the ids
 * out when they are exactly the ids this node said it holds: the plan's digest names them.
 */
export const scoringRequestSchema = z
  .object({
    plan: scoringPlanSchema,
    signature,
    keys: z.object({
      publicKey: z.string().min(1).max(MAX_KEY_CHARS.publicKey),
      relinKeys: z.string().min(1).max(MAX_KEY_CHARS.relinKeys).optional(),
    }),
    model: encryptedModelSchema,
    ids: entityIdsSchema.optional(),
  })
  .refine((r) => r.ids !== undefined || r.plan.vertical?.stage === "score", {
    message: "the ids to score are required (only a vertical score's second stage may name them by the plan)",
    path: ["ids"],
  });
export type ScoringRequest = z.infer<typeof scoringRequestSchema>;

/** What the gateway POSTs to the node's /scores/holdings: the first stage of a vertical score. */
export const holdingsRequestSchema = z.object({
  plan: scoringPlanSchema,
  signature,
  ids: entityIdsSchema,
});
export type HoldingsRequest = z.infer<typeof holdingsRequestSchema>;

/** The node's signed answer to a holdings request: which of the ids it does not hold. */
export const scoringHoldingsSchema = z.object({
  jobId: id,
  nodeId: id,
  missing: z.array(entityIdSchema).max(MAX_SCORING_IDS),
  signature,
});
export type ScoringHoldings = z.infer<typeof scoringHoldingsSchema>;

/** The node's answer, signed: scores for the ids it holds (in the order asked), and the ids it does not. */
export const encryptedScoresSchema = z.object({
  jobId: id,
  nodeId: id,
  scored: z.number().int().min(0).max(MAX_SCORING_IDS),
  missing: z.array(entityIdSchema).max(MAX_SCORING_IDS),
  /** One ciphertext per 4,096 scored records, slot i of ciphertext c holding record 4096·c + i. */
  ciphertexts: z
    .array(z.string().min(1).max(MAX_CIPHERTEXT_CHARS))
    .max(Math.ceil(MAX_SCORING_IDS / SCORES_PER_CIPHERTEXT)),
  signature,
});
export type EncryptedScores = z.infer<typeof encryptedScoresSchema>;

const planMessage = (plan: ScoringPlan) => canonicalize({ kind: "sluice/scoring-plan", body: plan });
const scoresMessage = (scores: Omit<EncryptedScores, "signature">) =>
  canonicalize({
    kind: "sluice/encrypted-scores",
    body: {
      jobId: scores.jobId,
      nodeId: scores.nodeId,
      scored: scores.scored,
      missing: scores.missing,
      ciphertexts: canonicalHash(scores.ciphertexts),
    },
  });

const holdingsMessage = (holdings: Omit<ScoringHoldings, "signature">) =>
  canonicalize({
    kind: "sluice/score-holdings",
    body: { jobId: holdings.jobId, nodeId: holdings.nodeId, missing: canonicalHash(holdings.missing) },
  });

export function signScoringHoldings(
  holdings: Omit<ScoringHoldings, "signature">,
  nodeKey: KeyObject | string,
): ScoringHoldings {
  return { ...holdings, signature: signBytes(nodeKey, holdingsMessage(holdings)) };
}

export function verifyScoringHoldings(holdings: ScoringHoldings, nodePublicKey: string): boolean {
  const { signature: sig, ...body } = holdings;
  return verifyBytes(nodePublicKey, holdingsMessage(body), sig);
}

export function signScoringPlan(plan: ScoringPlan, gatewayKey: KeyObject | string) {
  return { plan, signature: signBytes(gatewayKey, planMessage(plan)) };
}

export function verifyScoringPlan(plan: ScoringPlan, sig: string, gatewayPublicKey: KeyObject | string): boolean {
  return verifyBytes(gatewayPublicKey, planMessage(plan), sig);
}

export function signEncryptedScores(
  scores: Omit<EncryptedScores, "signature">,
  nodeKey: KeyObject | string,
): EncryptedScores {
  return { ...scores, signature: signBytes(nodeKey, scoresMessage(scores)) };
}

export function verifyEncryptedScores(scores: EncryptedScores, nodePublicKey: string): boolean {
  const { signature: sig, ...body } = scores;
  return verifyBytes(nodePublicKey, scoresMessage(body), sig);
}
