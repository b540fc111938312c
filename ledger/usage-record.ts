import type { KeyObject } from "node:crypto";
import { z } from "zod";
import { canonicalHash, canonicalize } from "../lib/canonical-json.js";
import { signBytes, verifyBytes } from "../lib/ed25519.js";
import { COMPUTE_MODES, QUERY_SHAPES } from "../lib/vocabulary.js";

export const USAGE_RECORD_SCHEMA_VERSION = 1;

/** One metered use of public data: what ran, for whom, on whose data, under which decision, at what fee. */
export const usageRecordSchema = z.object({
  schemaVersion: z.literal(USAGE_RECORD_SCHEMA_VERSION),
  recordId: z.string(),
  jobId: z.string(),
  /** The gateway request that started the job, as in the gateway's and the nodes' logs. */
  requestId: z.string().nullable(),
  scenarioId: z.string(),
  operatorId: z.string(),
  computeMode: z.enum(COMPUTE_MODES),
  queryShape: z.enum(QUERY_SHAPES),
  owners: z.array(
    z.object({ ownerId: z.string(), datasetId: z.string(), contributionUnits: z.number().int().nonnegative() }),
  ),
  epsilonSpent: z.number().nonnegative(),
  feeFen: z.number().int().nonnegative(),
  decisionHash: z.string().regex(/^[0-9a-f]{64}$/),
  resultHash: z.string().regex(/^[0-9a-f]{64}$/),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime(),
});
export type UsageRecord = z.infer<typeof usageRecordSchema>;

export interface SealedUsageRecord {
  record: UsageRecord;
  /** SHA-256 of the record's RFC 8785 canonical JSON, hex. */
  recordHash: string;
  /** The gateway's Ed25519 signature over the canonical JSON, base64url. */
  signature: string;
}

export function sealUsageRecord(record: UsageRecord, gatewayKey: KeyObject | string): SealedUsageRecord {
  const valid = usageRecordSchema.parse(record);
  return { record: valid, recordHash: canonicalHash(valid), signature: signBytes(gatewayKey, canonicalize(valid)) };
}

export function verifyUsageRecordSignature(record: unknown, signature: string, gatewayPublicKey: string): boolean {
  return verifyBytes(gatewayPublicKey, canonicalize(record), signature);
}
