import { and, eq } from "drizzle-orm";
import { sealUsageRecord, writeUsageRecord } from "../../ledger/index.js";
import { canonicalHash } from "../../lib/canonical-json.js";
import { newId } from "../../lib/ids.js";
import type { Decision, DecisionState } from "../../policies/index.js";
import { type DbOrTx, decisions, type Job, jobs } from "../../store/index.js";
import type { GatewayKeys } from "../deps.js";
import { releaseUsage } from "../services/usage.js";

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

/** What a charged job that never finished records: its shape and fields, and why it ended. */
export const unfinishedResult = (job: Job, reason: string) => ({
  queryShape: job.query.queryShape,
  fields: job.query.fields,
  partial: true,
  ended: reason,
});

/**
 * Ends a running job (locked by the caller) that will not finish. One whose result had begun to
 * leave (`releasedAt`) is charged: it succeeds with what it released and its usage record is
 * written, since what left the platform cannot be given back. Any other fails and gives its query
 * and ε back.
 */
export async function endUnfinishedJob(
  tx: DbOrTx,
  keys: GatewayKeys,
  job: Job,
  reason: string,
  now: Date,
): Promise<"charged" | "failed"> {
  if (job.releasedAt) {
    const [stored] = await tx.select().from(decisions).where(eq(decisions.hash, job.decisionHash));
    if (!stored) throw new Error(`job ${job.id} names decision ${job.decisionHash}, which is not stored`);
    await finishJob(
      tx,
      keys,
      job,
      stored as unknown as { decision: Decision; state: DecisionState },
      unfinishedResult(job, reason),
      now,
    );
    return "charged";
  }
  await tx
    .update(jobs)
    .set({ status: "failed", error: reason, finishedAt: now })
    .where(and(eq(jobs.id, job.id), eq(jobs.status, "running")));
  await releaseUsage(tx, job.scenarioId, job.epsilonMicro);
  return "failed";
}
