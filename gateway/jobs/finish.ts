import { eq } from "drizzle-orm";
import { sealUsageRecord, writeUsageRecord } from "../../ledger/index.js";
import { canonicalHash } from "../../lib/canonical-json.js";
import { newId } from "../../lib/ids.js";
import type { Decision, DecisionState } from "../../policies/index.js";
import { type DbOrTx, type Job, jobs } from "../../store/index.js";
import type { GatewayKeys } from "../deps.js";

/**
 * Marks a computed job succeeded and writes its signed usage record, in the caller's transaction:
 * both commit together or neither does.
 */
export async function finishJob(
  tx: DbOrTx,
  keys: GatewayKeys,
  job: Job,
  stored: { decision: Decision; state: DecisionState },
  result: Record<string, unknown>,
  finishedAt: Date,
) {
  if (stored.decision.effect !== "allow") throw new Error("only an allowed job can finish");
  const { obligations } = stored.decision;
  const owners = obligations.datasetIds.map((datasetId) => ({
    ownerId: stored.state.datasets.find((d) => d.id === datasetId)?.ownerId ?? "",
    datasetId,
    contributionUnits: 1,
  }));
  const sealed = sealUsageRecord(
    {
      schemaVersion: 1,
      recordId: newId("rec"),
      jobId: job.id,
      requestId: job.requestId,
      scenarioId: job.scenarioId,
      operatorId: job.operatorId,
      computeMode: job.query.computeMode,
      queryShape: job.query.queryShape,
      owners,
      epsilonSpent: job.epsilonMicro / 1_000_000,
      feeFen: obligations.priceFen,
      decisionHash: job.decisionHash,
      resultHash: canonicalHash(result),
      startedAt: job.createdAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
    },
    keys.privateKey,
  );
  await tx.update(jobs).set({ status: "succeeded", result, finishedAt }).where(eq(jobs.id, job.id));
  await writeUsageRecord(tx, sealed);
  return sealed.record.recordId;
}
