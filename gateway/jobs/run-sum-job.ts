import { and, eq, inArray, lt, sql } from "drizzle-orm";
import { ComputeError, type QueryPlan, runSecureSum, signPlan } from "../../compute/index.js";
import { sealUsageRecord, writeUsageRecord } from "../../ledger/index.js";
import { canonicalHash } from "../../lib/canonical-json.js";
import { SluiceError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { type DecisionRequest, decide, decisionHash } from "../../policies/index.js";
import { computeNodes, datasets, jobs, scenarios } from "../../store/index.js";
import type { GatewayDeps, GatewayLimits } from "../deps.js";
import { loadDecisionState } from "./decision-state.js";

export interface SumJobInput {
  scenarioId: string;
  aggregate: "sum";
  fields: string[];
}

async function markFailed(deps: GatewayDeps, jobId: string, error: unknown) {
  const message = error instanceof Error ? error.message : String(error);
  await deps.db
    .update(jobs)
    .set({ status: "failed", error: message, finishedAt: new Date() })
    .where(eq(jobs.id, jobId));
}

/**
 * Runs a secure sum for an operator: decide, plan, compute across the owners' nodes, and finish the
 * job, the quota and the usage record in one transaction. A failure leaves no fee and no record.
 */
export async function runSumJob(deps: GatewayDeps, limits: GatewayLimits, operatorId: string, input: SumJobInput) {
  const now = deps.now?.() ?? new Date();
  const request: DecisionRequest = {
    operatorId,
    scenarioId: input.scenarioId,
    computeMode: "mpc",
    aggregate: input.aggregate,
    fields: [...input.fields].sort(),
    at: now.toISOString(),
  };
  const state = await loadDecisionState(deps.db, operatorId, input.scenarioId);
  const decision = decide(request, state);
  const hash = decisionHash(request, state, decision);
  if (decision.effect === "deny") {
    throw new SluiceError("denied", decision.reason.en, {
      details: {
        tier: decision.tier,
        rule: decision.rule,
        reason: decision.reason,
        decisionHash: hash,
        policyVersions: decision.policyVersions,
      },
    });
  }

  const datasetIds = decision.obligations.datasetIds;
  const rows = await deps.db
    .select({ dataset: datasets, node: computeNodes })
    .from(datasets)
    .innerJoin(computeNodes, eq(datasets.nodeId, computeNodes.id))
    .where(inArray(datasets.id, datasetIds));
  const tasks: QueryPlan["tasks"] = request.fields.map((qualified) => {
    const [datasetId, field] = qualified.split(".") as [string, string];
    const row = rows.find((r) => r.dataset.id === datasetId);
    if (!row) throw new SluiceError("dataset_unknown", `dataset ${datasetId} has no registered compute node`);
    return { nodeId: row.node.id, url: row.node.url, publicKey: row.node.publicKey, datasetId, field };
  });
  if (new Set(tasks.map((t) => t.nodeId)).size !== tasks.length) {
    throw new SluiceError("unsupported_query", "each field of a secure sum must come from a different owner node");
  }
  if (tasks.length < 2) {
    throw new SluiceError("unsupported_query", "a secure sum needs fields held by at least two owner nodes");
  }

  const jobId = newId("job");
  await deps.db.insert(jobs).values({
    id: jobId,
    scenarioId: input.scenarioId,
    operatorId,
    query: { ...input },
    decisionHash: hash,
    createdAt: now,
  });
  const plan: QueryPlan = {
    version: 1,
    jobId,
    scenarioId: input.scenarioId,
    aggregate: "sum",
    decisionHash: hash,
    tasks,
    issuedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + limits.nodeTimeoutMs).toISOString(),
  };

  let total: bigint;
  try {
    total = await runSecureSum(signPlan(plan, deps.gatewayKeys.privateKey), {
      fetch: deps.fetch,
      timeoutMs: limits.nodeTimeoutMs,
    });
  } catch (error) {
    await markFailed(deps, jobId, error);
    throw error instanceof ComputeError ? error : new ComputeError("node_rejected", String(error), { cause: error });
  }

  const result = { aggregate: "sum", fields: request.fields, value: total.toString() };
  const finishedAt = deps.now?.() ?? new Date();
  const sealed = sealUsageRecord(
    {
      schemaVersion: 1,
      recordId: newId("rec"),
      jobId,
      scenarioId: input.scenarioId,
      operatorId,
      computeMode: "mpc",
      aggregate: "sum",
      owners: tasks
        .map((t) => ({
          ownerId: rows.find((r) => r.node.id === t.nodeId)?.node.ownerId ?? "",
          datasetId: t.datasetId,
          contributionUnits: 1,
        }))
        .sort((a, b) => a.datasetId.localeCompare(b.datasetId)),
      epsilonSpent: 0,
      feeFen: decision.obligations.priceFen,
      decisionHash: hash,
      resultHash: canonicalHash(result),
      startedAt: now.toISOString(),
      finishedAt: finishedAt.toISOString(),
    },
    deps.gatewayKeys.privateKey,
  );

  // Finishing the job, spending the quota and writing the usage record commit together or not at all.
  try {
    await deps.db.transaction(async (tx) => {
      const spent = await tx
        .update(scenarios)
        .set({ queriesUsed: sql`${scenarios.queriesUsed} + 1` })
        .where(and(eq(scenarios.id, input.scenarioId), lt(scenarios.queriesUsed, scenarios.queryQuota)))
        .returning({ id: scenarios.id });
      if (spent.length === 0)
        throw new SluiceError("quota_exhausted", `scenario ${input.scenarioId} has no queries left`);
      await tx.update(jobs).set({ status: "succeeded", result, finishedAt }).where(eq(jobs.id, jobId));
      await writeUsageRecord(tx, sealed);
    });
  } catch (error) {
    await markFailed(deps, jobId, error);
    throw error;
  }
  return { jobId, status: "succeeded" as const, result, usageRecordId: sealed.record.recordId, decisionHash: hash };
}
