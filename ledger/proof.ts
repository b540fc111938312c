import { asc, eq } from "drizzle-orm";
import { canonicalHash } from "../lib/canonical-json.js";
import { NotFoundError } from "../lib/errors.js";
import { anchorBatches, type Db, usageRecords } from "../store/index.js";
import type { LedgerClient } from "./client.js";
import { buildFastRecordTree } from "./fast-merkle.js";
import { LEAF_ENCODING, verifyRecordProof } from "./merkle.js";
import { verifyUsageRecordSignature } from "./usage-record.js";

export interface InclusionProof {
  recordId: string;
  record: Record<string, unknown>;
  recordHash: string;
  gatewaySignature: string;
  status: "pending" | "anchored";
  /** Present once the record's batch is anchored. */
  anchor?: {
    batchId: string;
    leafEncoding: readonly string[];
    leaf: string[];
    leafIndex: number;
    proof: string[];
    root: string;
    txHash: string | null;
    blockNumber: number | null;
    contract: string;
  };
  checks: {
    recordHashMatches: boolean;
    gatewaySignatureValid: boolean;
    proofValid: boolean | null;
    rootOnChain: boolean | null;
  };
  verified: boolean;
}

/**
 * Proves a usage record was not altered: its hash recomputed, the gateway's signature checked, its
 * Merkle proof checked against the batch root, and that root read back from the chain.
 */
export async function proveRecord(
  db: Db,
  ledger: LedgerClient,
  recordId: string,
  gatewayPublicKey: string,
): Promise<InclusionProof> {
  const [row] = await db.select().from(usageRecords).where(eq(usageRecords.id, recordId));
  if (!row) throw new NotFoundError("usage record", recordId);
  const recordHashMatches = canonicalHash(row.record) === row.recordHash;
  const gatewaySignatureValid = verifyUsageRecordSignature(row.record, row.gatewaySignature, gatewayPublicKey);
  const base = { recordId, record: row.record, recordHash: row.recordHash, gatewaySignature: row.gatewaySignature };

  const [batch] = row.batchId ? await db.select().from(anchorBatches).where(eq(anchorBatches.id, row.batchId)) : [];
  if (!batch || batch.status !== "anchored" || row.leafIndex === null) {
    return {
      ...base,
      status: "pending",
      checks: { recordHashMatches, gatewaySignatureValid, proofValid: null, rootOnChain: null },
      verified: false,
    };
  }
  const members = await db
    .select({ recordHash: usageRecords.recordHash })
    .from(usageRecords)
    .where(eq(usageRecords.batchId, batch.id))
    .orderBy(asc(usageRecords.leafIndex));
  const tree = buildFastRecordTree(members.map((m) => m.recordHash));
  const proof = tree.getProof(row.leafIndex);
  // The proof is checked with the hash recomputed from the record as stored, not the stored hash.
  const proofValid = verifyRecordProof(batch.root, canonicalHash(row.record), proof);
  const onChain = await ledger.getBatch(batch.id);
  const rootOnChain = onChain?.root === batch.root;
  return {
    ...base,
    status: "anchored",
    anchor: {
      batchId: batch.id,
      leafEncoding: LEAF_ENCODING,
      leaf: [`0x${row.recordHash}`],
      leafIndex: row.leafIndex,
      proof,
      root: batch.root,
      txHash: batch.txHash,
      blockNumber: batch.blockNumber,
      contract: ledger.address,
    },
    checks: { recordHashMatches, gatewaySignatureValid, proofValid, rootOnChain },
    verified: recordHashMatches && gatewaySignatureValid && proofValid && rootOnChain,
  };
}
