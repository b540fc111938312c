import { z } from "zod";
import { heParameterSetSchema, MAX_KEY_CHARS } from "../compute/he/params.js";
import { encryptedModelSchema, MAX_SCORING_FEATURES } from "../compute/he/scoring-model.js";
import { MAX_ROWS_PER_KEY, operatorIdsSchema } from "../compute/join/plan.js";
import { bitmapSchema } from "../compute/psi/helper-protocol.js";
import { MAX_PSI_CHUNKS, MAX_PSI_ITEMS } from "../compute/psi/limits.js";
import { pointsSchema } from "../compute/psi/protocol.js";
import { AGGREGATES, aggregateQueryShape, fieldNameSchema, filterSchema } from "../compute/query/schema.js";
import { entityIdsSchema, MAX_VERTICAL_PARTS, scoringFeaturesSchema } from "../compute/scoring/protocol.js";
import { COMPUTE_MODES, QUERY_SHAPES } from "../lib/vocabulary.js";
import { PARTICIPANT_ROLES } from "../store/index.js";

export const idSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{1,63}$/, "ids are lower-case letters, digits and _, 2–64 long, starting with a letter");
export const publicKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, "an Ed25519 public key is 32 bytes of base64url (43 characters)");
export const regionSchema = z
  .string()
  .regex(/^\d{6}$/, "a region is a 6-digit administrative division code (GB/T 2260)");
export const sectorSchema = z
  .string()
  .regex(/^[a-z][a-z-]{1,39}$/, "a sector is a lower-case name such as tax or social-insurance");
export const levelSchema = z.number().int().min(1).max(4);
export const computeModeSchema = z.enum(COMPUTE_MODES);
export const queryShapeSchema = z.enum(QUERY_SHAPES);
export const categorySchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,63}$/, "a category is a lower-case name such as enterprise-tax");
const epsilonSchema = z.number().min(0).max(1_000).multipleOf(0.000001, "ε has at most six decimals");
const reasonSchema = z.string().trim().min(1).max(2_000);
export const qualifiedFieldSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{1,63}\.[a-z][a-z0-9_]{0,63}$/, "fields are named datasetId.field");
const instant = z.iso.datetime({ offset: true });

export const admitParticipantSchema = z
  .object({
    id: idSchema.optional(),
    name: z.string().min(1).max(200),
    role: z.enum(PARTICIPANT_ROLES).exclude(["authority"]),
    publicKey: publicKeySchema,
    sector: sectorSchema.optional(),
  })
  .strict()
  .refine((p) => (p.role === "sector") === (p.sector !== undefined), {
    message: "a sector department names its sector, and only a sector department does",
    path: ["sector"],
  });

export const rotateKeySchema = z.object({ publicKey: publicKeySchema }).strict();

export const registerNodeSchema = z
  .object({
    id: idSchema.optional(),
    url: z.url({ protocol: /^https?$/ }),
    publicKey: publicKeySchema,
    encryptionKey: publicKeySchema.describe("the node's X25519 public key (its /health shows it)"),
    kind: z.enum(["owner", "helper"]).default("owner"),
  })
  .strict();

const datasetContent = {
  name: z.string().min(1).max(200),
  sector: sectorSchema,
  category: categorySchema,
  region: regionSchema,
  keyField: z.string().min(1).max(64),
  fields: z
    .array(
      z
        .object({
          name: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/),
          type: z.enum(["string", "integer", "decimal", "date", "boolean"]),
          level: levelSchema,
        })
        .strict(),
    )
    .min(1)
    .max(500),
};
const datasetChecks = <T extends { keyField: string; fields: { name: string }[] }>(schema: z.ZodType<T>) =>
  schema
    .refine((d) => d.fields.some((f) => f.name === d.keyField), {
      message: "keyField must be one of the fields",
      path: ["keyField"],
    })
    .refine((d) => new Set(d.fields.map((f) => f.name)).size === d.fields.length, {
      message: "field names must be unique",
      path: ["fields"],
    });

export const registerDatasetSchema = datasetChecks(
  z.object({ id: idSchema.optional(), nodeId: idSchema, ...datasetContent }).strict(),
);
export const updateDatasetSchema = datasetChecks(z.object({ nodeId: idSchema.optional(), ...datasetContent }).strict());

const validity = { validFrom: instant, validUntil: instant };
const validityOrdered = (v: { validFrom: string; validUntil: string }) =>
  Date.parse(v.validFrom) < Date.parse(v.validUntil);

export const grantSchema = z
  .object({
    operatorId: idSchema,
    regions: z.array(regionSchema).min(1).max(100),
    sectors: z.array(sectorSchema).min(1).max(50),
    datasetIds: z.array(idSchema).min(1).max(500).nullable().default(null),
    categories: z.array(categorySchema).min(1).max(100).nullable().default(null),
    computeModes: z.array(computeModeSchema).min(1).optional(),
    maxLevel: levelSchema,
    ...validity,
  })
  .strict()
  .refine(validityOrdered, { message: "validFrom must be before validUntil", path: ["validUntil"] });

export const proposeScenarioSchema = z
  .object({
    purpose: z.string().min(10).max(2_000),
    fields: z.array(qualifiedFieldSchema).min(1).max(200),
    computeModes: z.array(computeModeSchema).min(1),
    queryShapes: z.array(queryShapeSchema).min(1),
    minGroupSize: z.number().int().min(1).max(1_000_000),
    epsilonPerQuery: epsilonSchema.max(10),
    epsilonBudget: epsilonSchema,
    queryQuota: z.number().int().min(1).max(10_000_000),
    pricePerQueryFen: z.number().int().min(0).max(1e12),
    platformShareBasisPoints: z.number().int().min(0).max(10_000),
    ownerShareBasisPoints: z.record(idSchema, z.number().int().min(0).max(10_000)).optional(),
    requiresResultReview: z.boolean().default(false),
    ...validity,
  })
  .strict()
  .refine(validityOrdered, { message: "validFrom must be before validUntil", path: ["validUntil"] })
  .refine(
    (s) =>
      s.ownerShareBasisPoints === undefined ||
      Object.values(s.ownerShareBasisPoints).reduce((a, b) => a + b, 0) + s.platformShareBasisPoints === 10_000,
    {
      message: "the platform's and the owners' shares must add up to 10000 basis points",
      path: ["ownerShareBasisPoints"],
    },
  )
  .refine((s) => s.epsilonPerQuery <= s.epsilonBudget, {
    message: "ε per query cannot exceed the ε budget",
    path: ["epsilonPerQuery"],
  });

const signatureSchema = z.string().regex(/^[A-Za-z0-9_-]{86}$/, "an Ed25519 signature is 64 bytes of base64url");

export const scenarioDecisionSchema = z
  .object({
    decision: z.enum(["approve", "reject"]),
    reason: reasonSchema.optional(),
    signature: signatureSchema.optional(),
  })
  .strict()
  .refine((d) => d.decision === "approve" || d.reason !== undefined, {
    message: "a rejection needs a reason",
    path: ["reason"],
  })
  .refine((d) => d.decision === "reject" || d.signature !== undefined, {
    message: "an approval carries the owner's signature over the scenario's terms (the SDK makes it)",
    path: ["signature"],
  });

export const statusChangeSchema = z.object({ reason: reasonSchema }).strict();

export const runJobSchema = z
  .object({
    /** Chosen by the client to make a retry safe: the same id returns the same job, never a second one. */
    jobId: z
      .string()
      .regex(/^[A-Za-z0-9_-]{8,64}$/, "a job id is 8–64 letters, digits, _ or -")
      .optional(),
    scenarioId: idSchema,
    computeMode: computeModeSchema.default("mpc"),
    queryShape: queryShapeSchema,
    /** The measured field of each dataset taking part, one per dataset. */
    fields: z.array(qualifiedFieldSchema).min(1).max(16),
    epsilon: epsilonSchema.max(10).default(0),
    /** For computeMode he: the operator's registered BFV key set the owners encrypt under. */
    heKeysId: idSchema.optional(),
    filters: z.array(filterSchema).max(20).default([]),
    groupBy: aggregateQueryShape.groupBy,
    bins: aggregateQueryShape.bins,
    bounds: aggregateQueryShape.bounds,
  })
  .strict();

/** A joined aggregate: two or three datasets of different owners joined on their key columns. */
export const runJoinSchema = z
  .object({
    jobId: runJobSchema.shape.jobId,
    scenarioId: idSchema,
    queryShape: z.enum(AGGREGATES),
    /** The datasets joined and each one's key column (the unified social credit code, say). */
    on: z
      .array(z.strictObject({ datasetId: idSchema, keyField: fieldNameSchema }))
      .min(2)
      .max(3),
    /** uscc: keys are normalised and check-verified at each owner before they are matched; text: trimmed. */
    keyKind: z.enum(["uscc", "text"]).default("uscc"),
    /** The measured field, qualified (`dataset.field`); not for a count. */
    measure: qualifiedFieldSchema.optional(),
    /** Filters on any joined dataset's fields, each qualified. */
    filters: z
      .array(z.looseObject({ field: qualifiedFieldSchema }))
      .max(20)
      .default([]),
    /** Group by a text field of one joined dataset, qualified, over a declared list of values. */
    groupBy: z
      .strictObject({ field: qualifiedFieldSchema, values: z.array(z.string().min(1).max(100)).min(1).max(1_000) })
      .optional(),
    bins: aggregateQueryShape.bins,
    bounds: aggregateQueryShape.bounds,
    /** The most rows a key may have at each owner (repeated keys join as a database would: every pair). */
    maxRowsPerKey: z.number().int().min(1).max(MAX_ROWS_PER_KEY).default(1),
    /**
     * Your own list of the entities to restrict the join to (a semi-join: your applicants ∩ every
     * joined dataset), normalised as the keys are; it goes to the first joined dataset's node only.
     */
    operatorIds: operatorIdsSchema.optional(),
    epsilon: epsilonSchema.max(10).default(0),
  })
  .strict();

/** A joined aggregate written as SQL (gateway/jobs/sql.ts), with what SQL does not say. */
export const runSqlSchema = z
  .object({
    jobId: runJobSchema.shape.jobId,
    scenarioId: idSchema,
    sql: z.string().min(1).max(20_000),
    /** Each measured value is clamped to these bounds (required for sums under differential privacy). */
    bounds: aggregateQueryShape.bounds,
    keyKind: runJoinSchema.shape.keyKind,
    maxRowsPerKey: runJoinSchema.shape.maxRowsPerKey,
    operatorIds: runJoinSchema.shape.operatorIds,
    epsilon: runJoinSchema.shape.epsilon,
  })
  .strict();

/** An operator's encrypted model, and the entities it is entitled to score with it, at one owner's dataset. */
export const runScoringSchema = z
  .object({
    jobId: runJobSchema.shape.jobId,
    scenarioId: idSchema,
    /** The operator's registered CKKS key set (with relinearisation keys for a quadratic model). */
    heKeysId: idSchema,
    datasetId: idSchema,
    /** The dataset's text field entities are looked up by. */
    idField: fieldNameSchema,
    /** The fields the model weighs, in the order of its weights. */
    features: scoringFeaturesSchema,
    /** ε per entity: each owner adds discrete Laplace noise to every feature for it; 0 only where the rules ask none. */
    epsilon: epsilonSchema.max(10).default(0),
    ids: entityIdsSchema,
    model: encryptedModelSchema,
  })
  .strict();

/** One owner's part of a vertical score: its dataset, the id column, the features it weighs. */
const verticalPartSchema = z
  .object({ datasetId: idSchema, idField: fieldNameSchema, features: scoringFeaturesSchema })
  .strict();

/**
 * A vertical score: one linear model whose features come from two or three owners, its weights in
 * the order of the parts' features one after another; each owner scores its part, the gateway adds
 * the encrypted parts for the ids every owner holds.
 */
export const runVerticalScoringSchema = z
  .object({
    jobId: runJobSchema.shape.jobId,
    scenarioId: idSchema,
    heKeysId: idSchema,
    parts: z
      .array(verticalPartSchema)
      .min(2)
      .max(MAX_VERTICAL_PARTS)
      .refine((parts) => new Set(parts.map((p) => p.datasetId)).size === parts.length, {
        message: "each dataset is one part, named once",
      })
      .refine((parts) => parts.reduce((n, p) => n + p.features.length, 0) <= MAX_SCORING_FEATURES, {
        message: `a model weighs at most ${MAX_SCORING_FEATURES} features across its parts`,
      }),
    epsilon: epsilonSchema.max(10).default(0),
    ids: entityIdsSchema,
    model: encryptedModelSchema,
  })
  .strict();

/** The first round of a PSI job: which owner dataset, which id column, what to learn. */
export const runPsiSchema = z
  .object({
    jobId: runJobSchema.shape.jobId,
    scenarioId: idSchema,
    datasetId: idSchema,
    idField: fieldNameSchema,
    /** uscc: unified social credit codes, normalised and check-verified by both sides before hashing. */
    idKind: z.enum(["uscc", "text"]).default("uscc"),
    /** size (PSI-CA, noisy, k-checked), membership (which of your ids the owner holds) or sum (of an owner's column over the intersection). */
    output: z.enum(["size", "membership", "sum"]).default("size"),
    /**
     * A sum: the owner's numeric field, each entity's total clamped to [min, max] in the field's unit,
     * and your X25519 public key for this job, which the owner seals your shares to (the SDK makes one).
     */
    value: z
      .object({
        field: fieldNameSchema,
        min: z.number().finite(),
        max: z.number().finite(),
        operatorKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/, "an X25519 public key is 32 bytes of base64url"),
      })
      .strict()
      .refine((v) => v.min <= v.max, { message: "min must not be above max", path: ["min"] })
      .optional(),
    /** A size over two owners: X ∩ (Y1 ∪ Y2) or X ∩ Y1 ∩ Y2, combined by the platform's helper node. */
    combineWith: z
      .object({ datasetId: idSchema, idField: fieldNameSchema, op: z.enum(["union", "intersection"]) })
      .strict()
      .optional(),
    epsilon: epsilonSchema.max(10).default(0),
  })
  .strict();

/** A chunk of points you send: your own H(x)^a, or an owner's H(y)^ba in the sorted order. */
export const psiChunkUploadSchema = z
  .object({
    index: z
      .number()
      .int()
      .min(0)
      .max(MAX_PSI_CHUNKS - 1),
    points: pointsSchema,
  })
  .strict();

/** The end of your uploads: how many chunks and points of your own you sent. */
export const psiAnswerSchema = z
  .object({
    operatorChunks: z.number().int().min(0).max(MAX_PSI_CHUNKS),
    operatorCount: z.number().int().min(0).max(MAX_PSI_ITEMS),
  })
  .strict();

/** A sum's last step: which of the owner's entities matched, and your shares summed over them. */
export const psiSumReleaseRequestSchema = z
  .object({
    matched: bitmapSchema.describe("bit i (least significant first) set when the owner's i-th entity matched"),
    operatorPartial: z
      .string()
      .regex(/^\d{1,39}$/)
      .refine((v) => !/^\d{1,39}$/.test(v) || BigInt(v) < 1n << 128n, { message: "a ring element is below 2^128" })
      .describe("the sum of your shares over the matched entities, modulo 2^128, in decimal"),
  })
  .strict();

/** A period to settle, [periodStart, periodEnd). */
export const settlementPeriodSchema = z.object({ periodStart: instant, periodEnd: instant }).strict();

export const jobReviewSchema = z
  .object({ decision: z.enum(["release", "withhold"]), reason: reasonSchema.optional() })
  .strict()
  .refine((r) => r.decision === "release" || r.reason !== undefined, {
    message: "withholding a result needs a reason",
    path: ["reason"],
  });

export const autoApprovalRuleSchema = z
  .object({
    operatorIds: z.array(idSchema).min(1).max(1_000).nullable().default(null),
    maxLevel: levelSchema,
    computeModes: z.array(computeModeSchema).min(1),
    queryShapes: z.array(queryShapeSchema).min(1),
    minGroupSize: z.number().int().min(1).max(1_000_000),
    maxEpsilonPerQuery: epsilonSchema.max(10),
    signature: signatureSchema,
  })
  .strict();

const sealKey = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z0-9+/]+={0,2}$/, "a SEAL key is base64, as SEAL saves it");
const HE_KEY_FIELDS = new Set(["paramSet", "publicKey", "relinKeys", "galoisKeys"]);

/** An operator's homomorphic public keys; a secret key in the body is refused by name. */
export const heKeysSchema = z
  .object({
    paramSet: heParameterSetSchema,
    publicKey: sealKey(MAX_KEY_CHARS.publicKey),
    relinKeys: sealKey(MAX_KEY_CHARS.relinKeys).optional(),
    galoisKeys: sealKey(MAX_KEY_CHARS.galoisKeys).optional(),
  })
  .catchall(z.unknown())
  .superRefine((body, ctx) => {
    for (const key of Object.keys(body)) {
      if (HE_KEY_FIELDS.has(key)) continue;
      ctx.addIssue({
        code: "custom",
        path: [key],
        message:
          key === "secretKey"
            ? "a secret key is never sent to Sluice: keep it on your machine"
            : `unknown field ${key}`,
      });
    }
  });
