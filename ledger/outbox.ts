import type { DbOrTx } from "../store/index.js";
import { usageRecords } from "../store/index.js";
import type { SealedUsageRecord } from "./usage-record.js";

/** Puts a sealed usage record in the outbox; call it inside the transaction that finishes the job. */
export async function writeUsageRecord(tx: DbOrTx, sealed: SealedUsageRecord): Promise<void> {
  await tx.insert(usageRecords).values({
    id: sealed.record.recordId,
    jobId: sealed.record.jobId,
    record: sealed.record,
    recordHash: sealed.recordHash,
    gatewaySignature: sealed.signature,
  });
}
