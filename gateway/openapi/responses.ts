import { z } from "zod";
import { FINDING_KINDS } from "../../ledger/index.js";
import { COMPUTE_MODES, GRANT_STATUSES, JOB_STATUSES, QUERY_SHAPES, SCENARIO_STATUSES } from "../../lib/vocabulary.js";
import { PARTICIPANT_ROLES } from "../../store/index.js";

// What the gateway answers, as zod schemas: the OpenAPI document is generated from them and the
// test harness checks every 2xx answer of the test suite against them, so they cannot drift.

const instant = z.iso.datetime({ offset: true });
const id = z.string();
const computeMode = z.enum(COMPUTE_MODES);
const queryShape = z.enum(QUERY_SHAPES);
const bilingual = z.strictObject({ en: z.string(), zh: z.string() }).meta({ id: "Bilingual" });
const json = z.record(z.string(), z.unknown());

export const participantResponseSchema = z
  .strictObject({
    id,
    name: z.string(),
    role: z.enum(PARTICIPANT_ROLES),
    sector: z.string().nullable(),
    publicKey: z.string().describe("Ed25519 public key, 32 bytes base64url"),
    status: z.enum(["active", "revoked"]),
    createdAt: instant,
  })
  .meta({ id: "Participant" });

export const participantKeyResponseSchema = z
  .strictObject({
    publicKey: z.string(),
    participantId: id,
    status: z.enum(["active", "rotated", "revoked"]),
    createdAt: instant,
    retiredAt: instant.nullable(),
  })
  .meta({ id: "ParticipantKey" });

export const authorisationEventResponseSchema = z
  .strictObject({
    id,
    subjectType: z.enum(["grant", "scenario", "dataset", "auto_approval_rule", "participant"]),
    subjectId: id,
    actorId: id,
    action: z.string(),
    reason: z.string().nullable(),
    details: json.nullable(),
    at: instant,
    seq: z.number().int().describe("the order events were written in (several can share `at`)"),
    anchorTxHash: z
      .string()
      .nullable()
      .describe(
        "the transaction that anchored the event (ParticipantRegistry or AuthorisationRegistry), null until then",
      ),
  })
  .meta({ id: "AuthorisationEvent" });

export const anchoredEventResponseSchema = authorisationEventResponseSchema
  .extend({
    anchor: z
      .strictObject({
        anchored: z.boolean(),
        recordHash: z.string(),
        onChain: z.string().nullable(),
        verified: z.boolean(),
      })
      .nullable()
      .describe("the ParticipantRegistry entry this event was anchored as, checked against the chain"),
  })
  .meta({ id: "AnchoredEvent" });

export const computeNodeResponseSchema = z
  .strictObject({
    id,
    ownerId: id,
    url: z.string(),
    publicKey: z.string(),
    kind: z.enum(["owner", "helper"]),
    encryptionKey: z.string().nullable(),
    createdAt: instant,
  })
  .meta({ id: "ComputeNode" });

const datasetField = z.strictObject({
  name: z.string(),
  type: z.enum(["string", "integer", "decimal", "date", "boolean"]),
  level: z.number().int().min(1).max(4),
});

export const datasetResponseSchema = z
  .strictObject({
    id,
    ownerId: id,
    nodeId: id,
    name: z.string(),
    sector: z.string(),
    category: z.string(),
    region: z.string(),
    keyField: z.string(),
    fields: z.array(datasetField),
    version: z.number().int(),
    contentHash: z.string(),
    createdAt: instant,
    updatedAt: instant,
  })
  .meta({ id: "Dataset" });

export const datasetVersionResponseSchema = z
  .strictObject({
    datasetId: id,
    version: z.number().int(),
    content: json,
    contentHash: z.string(),
    createdAt: instant,
  })
  .meta({ id: "DatasetVersion" });

export const grantResponseSchema = z
  .strictObject({
    id,
    tier: z.enum(["comprehensive", "sector"]),
    grantorId: id,
    operatorId: id,
    regions: z.array(z.string()),
    sectors: z.array(z.string()),
    datasetIds: z.array(id).nullable(),
    categories: z.array(z.string()).nullable(),
    computeModes: z.array(computeMode),
    maxLevel: z.number().int(),
    validFrom: instant,
    validUntil: instant,
    status: z.enum(GRANT_STATUSES),
    createdAt: instant,
  })
  .meta({ id: "Grant" });

const scenarioApproval = z
  .strictObject({
    scenarioId: id,
    ownerId: id,
    decision: z.enum(["pending", "approved", "rejected"]),
    reason: z.string().nullable(),
    decidedBy: z.string().nullable().describe("the owner, or auto-rule:<id> for an automatic approval"),
    signature: z.string().nullable().describe("the owner's Ed25519 signature over the scenario's terms"),
    decidedAt: instant.nullable(),
  })
  .meta({ id: "ScenarioApproval" });

const scenarioStatus = z.enum(SCENARIO_STATUSES);

export const scenarioResponseSchema = z
  .strictObject({
    id,
    operatorId: id,
    purpose: z.string(),
    datasetIds: z.array(id),
    datasetVersions: z.record(z.string(), z.number().int()),
    fields: z.array(z.string()),
    computeModes: z.array(computeMode),
    queryShapes: z.array(queryShape),
    minGroupSize: z.number().int(),
    epsilonPerQueryMicro: z.number().int(),
    epsilonBudgetMicro: z.number().int(),
    epsilonSpentMicro: z.number().int(),
    queryQuota: z.number().int(),
    queriesUsed: z.number().int(),
    pricePerQueryFen: z.number().int(),
    platformShareBasisPoints: z.number().int(),
    ownerShareBasisPoints: z.record(z.string(), z.number().int()).nullable(),
    requiresResultReview: z.boolean(),
    validFrom: instant,
    validUntil: instant,
    status: scenarioStatus.describe("the status now, with the validity window applied"),
    storedStatus: scenarioStatus,
    createdAt: instant,
    epsilonPerQuery: z.number(),
    epsilonBudget: z.number(),
    epsilonSpent: z.number(),
    approvals: z.array(scenarioApproval),
  })
  .meta({ id: "Scenario" });

export const autoApprovalRuleResponseSchema = z
  .strictObject({
    id,
    ownerId: id,
    operatorIds: z.array(id).nullable(),
    maxLevel: z.number().int(),
    computeModes: z.array(computeMode),
    queryShapes: z.array(queryShape),
    minGroupSize: z.number().int(),
    maxEpsilonPerQueryMicro: z.number().int(),
    signature: z.string(),
    active: z.boolean(),
    createdAt: instant,
  })
  .meta({ id: "AutoApprovalRule" });

const obligations = z.strictObject({
  minGroupSize: z.number().int(),
  epsilonMicro: z.number().int(),
  dpMechanism: z.enum(["none", "discrete-laplace"]),
  priceFen: z.number().int(),
  ownerIds: z.array(id),
  datasetIds: z.array(id),
  requiresResultReview: z.boolean(),
  resultClassification: z.strictObject({ level: z.number().int(), category: z.string(), handling: bilingual }),
});

export const decisionResponseSchema = z
  .discriminatedUnion("effect", [
    z.strictObject({
      effect: z.literal("allow"),
      obligations,
      policyVersions: z.record(z.string(), z.string()),
    }),
    z.strictObject({
      effect: z.literal("deny"),
      tier: z.enum(["participant", "comprehensive", "sector", "scenario", "classification"]),
      rule: z.string(),
      reason: bilingual,
      policyVersions: z.record(z.string(), z.string()),
    }),
  ])
  .meta({ id: "Decision" });

export const explainResponseSchema = z.strictObject({
  allowed: z.boolean(),
  executable: z.boolean(),
  notExecutableBecause: z.string().optional(),
  decision: decisionResponseSchema,
  decisionHash: z.string(),
});

export const jobOutcomeResponseSchema = z
  .discriminatedUnion("status", [
    z.strictObject({
      jobId: id,
      status: z.literal("succeeded"),
      result: json,
      usageRecordId: id,
      decisionHash: z.string(),
    }),
    z.strictObject({
      jobId: id,
      status: z.literal("awaiting_review"),
      decisionHash: z.string(),
      reviewers: z.array(id),
    }),
  ])
  .meta({ id: "JobOutcome" });

const psiOwnerSet = z.strictObject({
  count: z.number().int().describe("the owner's distinct entities"),
  invalid: z
    .number()
    .int()
    .describe("identifiers in the owner's column that are not valid codes (counted, never sent)"),
  chunks: z.number().int().describe("pages of the owner's set to fetch"),
});

export const psiStartResponseSchema = z
  .union([
    z.strictObject({
      jobId: id,
      status: z.literal("running"),
      decisionHash: z.string(),
      expiresAt: instant,
      chunkSize: z.number().int().describe("points a page or an upload carries"),
      ownerSet: psiOwnerSet,
      secondOwnerSet: psiOwnerSet.optional().describe("a two-owner size: the second owner's set"),
    }),
    z.strictObject({
      jobId: id,
      status: z.enum(["succeeded", "awaiting_review"]),
      result: json.optional(),
      usageRecordId: id.optional(),
      reviewers: z.array(id).optional(),
      decisionHash: z.string(),
      ownerSet: z.null(),
    }),
  ])
  .meta({ id: "PsiStart" });

export const psiAnswerResponseSchema = z
  .union([
    jobOutcomeResponseSchema,
    z.strictObject({
      jobId: id,
      status: z.literal("running"),
      answerChunks: z.number().int().describe("a sum: pages of your points raised by the owner, sorted, to fetch"),
    }),
  ])
  .meta({ id: "PsiAnswer" });

export const psiPageResponseSchema = z
  .strictObject({
    jobId: id,
    index: z.number().int(),
    points: z.string().describe("32 bytes a point, base64"),
    operatorShares: z
      .strictObject({ ephemeralKey: z.string(), nonce: z.string(), ciphertext: z.string() })
      .optional()
      .describe(
        'a sum: your share of each entity\'s total (16 bytes each), sealed to your value.operatorKey (X25519, HKDF-SHA-256, ChaCha20-Poly1305; associated data the RFC 8785 form of { kind: "sluice/psi-operator-shares", jobId, index })',
      ),
  })
  .meta({ id: "PsiPage" });

export const psiChunkResponseSchema = z
  .strictObject({
    jobId: id,
    index: z.number().int(),
    count: z.number().int(),
    answers: z.string().optional().describe("membership: this chunk raised by the owner (H(x)^ab), in your order"),
  })
  .meta({ id: "PsiChunkReceipt" });

const statementLine = z.strictObject({
  payeeId: id,
  role: z.enum(["platform", "owner"]),
  amountFen: z.number().int(),
  records: z.number().int(),
});

export const settlementResponseSchema = z
  .strictObject({
    id,
    periodStart: instant,
    periodEnd: instant,
    recordCount: z.number().int(),
    feeTotalFen: z.number().int(),
    recordsHash: z.string(),
    root: z.string().describe("Merkle root of the (payeeId, amountFen) lines, @openzeppelin/merkle-tree format"),
    lines: z.array(statementLine),
    txHash: z.string().nullable().optional(),
    anchor: z
      .strictObject({
        status: z.enum(["anchored", "pending", "not_anchored"]),
        txHash: z.string().nullable().optional(),
        reason: z.string().optional(),
      })
      .optional(),
    chain: z.strictObject({ anchored: z.boolean(), rootMatches: z.boolean() }).nullable().optional(),
    proof: z.array(z.string()).nullable().optional(),
    verified: z.boolean().nullable().optional(),
  })
  .meta({ id: "SettlementStatement" });

export const settlementListResponseSchema = z.strictObject({
  statements: z.array(
    z.strictObject({
      id,
      periodStart: instant,
      periodEnd: instant,
      recordCount: z.number().int(),
      feeTotalFen: z.number().int(),
      root: z.string(),
      txHash: z.string().nullable(),
    }),
  ),
});

export const auditReportResponseSchema = z
  .strictObject({
    periodStart: instant,
    periodEnd: instant,
    checkedAt: instant,
    records: z.number().int(),
    batches: z.number().int(),
    statements: z.number().int(),
    decisionsReplayed: z.number().int(),
    authorisationEvents: z
      .number()
      .int()
      .describe("the period's anchored authorisation events checked against the chain"),
    findings: z.array(
      z.strictObject({
        kind: z.enum(FINDING_KINDS),
        recordId: z.string().optional(),
        jobId: z.string().optional(),
        batchId: z.string().optional(),
        leafIndex: z.number().int().optional(),
        statementId: z.string().optional(),
        eventId: z.string().optional(),
        detail: z.string(),
      }),
    ),
    ok: z.boolean().describe("nothing found beyond records not yet anchored"),
  })
  .meta({ id: "AuditReport" });

export const jobReviewOutcomeResponseSchema = z.strictObject({
  jobId: id,
  status: z.enum(["succeeded", "awaiting_review", "withheld"]),
  usageRecordId: id.optional(),
});

const jobReview = z.strictObject({
  jobId: id,
  ownerId: id,
  decision: z.enum(["pending", "released", "withheld"]),
  reason: z.string().nullable(),
  decidedAt: instant.nullable(),
});

export const jobResponseSchema = z
  .strictObject({
    id,
    scenarioId: id,
    operatorId: id,
    query: z.strictObject({
      computeMode,
      queryShape,
      fields: z.array(z.string()),
      epsilon: z.number(),
    }),
    status: z.enum(JOB_STATUSES),
    result: json.nullable().describe("null for an operator until the result is released"),
    error: z.string().nullable(),
    decisionHash: z.string(),
    epsilonMicro: z.number().int(),
    requestId: z.string().nullable(),
    createdAt: instant,
    finishedAt: instant.nullable(),
    reviews: z.array(jobReview),
    usageRecordId: id.nullable(),
  })
  .meta({ id: "Job" });

export const jobListResponseSchema = z
  .strictObject({
    jobs: z.array(
      jobResponseSchema.pick({
        id: true,
        scenarioId: true,
        operatorId: true,
        query: true,
        status: true,
        error: true,
        createdAt: true,
        finishedAt: true,
        usageRecordId: true,
      }),
    ),
  })
  .meta({ id: "JobList" });

export const usageRecordResponseSchema = z
  .strictObject({
    id,
    jobId: id,
    record: json.describe("the canonical (RFC 8785) usage record the gateway signed"),
    recordHash: z.string(),
    gatewaySignature: z.string(),
    feeFen: z.number().int().describe("the fee the signed record charges"),
    batchId: id.nullable(),
    leafIndex: z.number().int().nullable(),
    createdAt: instant,
  })
  .meta({ id: "UsageRecord" });

export const inclusionProofResponseSchema = z
  .strictObject({
    recordId: id,
    record: json,
    recordHash: z.string(),
    gatewaySignature: z.string(),
    status: z.enum(["pending", "anchored"]),
    anchor: z
      .strictObject({
        batchId: id,
        leafEncoding: z.array(z.string()),
        leaf: z.array(z.string()),
        leafIndex: z.number().int(),
        proof: z.array(z.string()),
        root: z.string(),
        txHash: z.string().nullable(),
        blockNumber: z.number().int().nullable(),
        contract: z.string(),
      })
      .optional()
      .describe("present once the record's batch is anchored; the proof is @openzeppelin/merkle-tree's"),
    checks: z.strictObject({
      recordHashMatches: z.boolean(),
      gatewaySignatureValid: z.boolean(),
      proofValid: z.boolean().nullable(),
      rootOnChain: z.boolean().nullable(),
    }),
    verified: z.boolean(),
  })
  .meta({ id: "InclusionProof" });

export const storedDecisionResponseSchema = z
  .strictObject({ hash: z.string(), request: json, state: json, decision: decisionResponseSchema, createdAt: instant })
  .meta({ id: "StoredDecision" });

export const replayResponseSchema = z.strictObject({
  recordId: id,
  decisionHash: z.string(),
  hashMatches: z.boolean(),
  rulesPublished: z.boolean(),
  decisionReproduced: z.boolean(),
  replayed: decisionResponseSchema,
  verified: z.boolean(),
  request: json,
  recorded: decisionResponseSchema,
});

const healthCheck = z.strictObject({ name: z.string(), ok: z.boolean(), detail: z.string() });
export const healthResponseSchema = z
  .strictObject({
    status: z.enum(["ok", "unavailable"]),
    down: z.array(z.string()),
    database: healthCheck,
    chain: healthCheck,
    nodes: z.array(healthCheck),
  })
  .meta({ id: "Health" });

export const problemResponseSchema = z
  .looseObject({
    type: z.url().describe("a URI naming the kind of problem, under https://sluice.dev/problems/"),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().describe("what was wrong, in words"),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(z.strictObject({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: "Problem", description: "RFC 9457 problem details" });

export const heKeysResponseSchema = z
  .strictObject({
    id,
    operatorId: id,
    paramSet: z.string(),
    fingerprint: z.string().describe("SHA-256 of the canonical public keys; `sluice he-keygen` prints the same"),
    sizes: z.strictObject({ publicKey: z.number().int(), relinKeys: z.number().int(), galoisKeys: z.number().int() }),
    createdAt: instant,
  })
  .meta({ id: "HeKeySet" });

const fen = z.number().int().describe("fen (0.01 yuan)");

export const assetAccountsResponseSchema = z.strictObject({
  periodStart: instant,
  periodEnd: instant,
  recordCount: z.number().int().describe("usage records written in the period (all owners')"),
  anchoredCount: z.number().int().describe("of those, how many are anchored on chain yet"),
  method: z.strictObject({
    name: z.literal("income approach"),
    discountRateBasisPoints: z.number().int(),
    years: z.number().int(),
    description: z.string(),
  }),
  accounts: z.array(
    z.strictObject({
      ownerId: id,
      datasetId: id,
      datasetName: z.string().nullable(),
      uses: z.number().int().describe("usage records that used the dataset"),
      contributionUnits: z.number().int(),
      revenueFen: fen,
      valueEstimateFen: fen,
      scenarioIds: z.array(id).describe("the scenarios it served"),
    }),
  ),
  owners: z.array(
    z.strictObject({
      ownerId: id,
      revenueFen: fen,
      valueEstimateFen: fen,
      settlements: z
        .array(z.strictObject({ statementId: id, amountFen: fen, matches: z.boolean() }))
        .describe(
          "each settlement statement of exactly this period: the owner's line, and whether it equals the revenue",
        ),
    }),
  ),
});
