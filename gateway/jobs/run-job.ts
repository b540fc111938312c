import { and, eq, inArray } from "drizzle-orm";
import { ComputeError, type QueryPlan, runSecureSum, signPlan } from "../../compute/index.js";
import { SluiceError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { computeNodes, datasets, jobReviews, jobs } from "../../store/index.js";
import type { GatewayDeps, GatewayLimits } from "../deps.js";
import { releaseUsage, reserveUsage } from "../services/usage.js";
import { approvalProofs } from "./approval-proofs.js";
import { evaluate, type JobInput, notExecutable, storeDecision } from "./evaluate.js";
import { finishJob } from "./finish.js";

function denied(hash: string, decision: Extract<Awaited<ReturnType<typeof evaluate>>["decision"], { effect: "deny" }>) {
  return new SluiceError("denied", decision.reason.en, {
    details: {
      tier: decision.tier,
      rule: decision.rule,
      reason: decision.reason,
      decisionHash: hash,
      policyVersions: decision.policyVersions,
    },
  });
}

/** Dry run: whether the query would be allowed, why, and with which obligations; nothing is run or charged. */
export async function explainJob(deps: GatewayDeps, operatorId: string, input: JobInput) {
  const evaluation = await evaluate(deps.db, operatorId, input, deps.now?.() ?? new Date());
  const blocker = notExecutable(input, evaluation.decision);
  return {
    allowed: evaluation.decision.effect === "allow",
    executable: evaluation.decision.effect === "allow" && blocker === null,
    ...(blocker && evaluation.decision.effect === "allow" ? { notExecutableBecause: blocker } : {}),
    decision: evaluation.decision,
    decisionHash: evaluation.hash,
  };
}

/**
 * Runs a query for an operator: decide, reserve quota and ε atomically, compute across the owners'
 * nodes, and finish the job and its usage record in one transaction, or hold the result for the
 * owners' review when the scenario demands it. A failure releases the reservation and leaves no record.
 */
export async function runJob(
  deps: GatewayDeps,
  limits: GatewayLimits,
  operatorId: string,
  input: JobInput,
  requestId?: string,
) {
  const now = deps.now?.() ?? new Date();
  const evaluation = await evaluate(deps.db, operatorId, input, now);
  const { decision, hash } = evaluation;
  await storeDecision(deps.db, evaluation);
  if (decision.effect === "deny") throw denied(hash, decision);
  const blocker = notExecutable(input, decision);
  if (blocker) throw new SluiceError("not_executable", blocker, { details: { decisionHash: hash } });

  const rows = await deps.db
    .select({ dataset: datasets, node: computeNodes })
    .from(datasets)
    .innerJoin(computeNodes, eq(datasets.nodeId, computeNodes.id))
    .where(inArray(datasets.id, decision.obligations.datasetIds));
  const { terms, proofFor } = await approvalProofs(deps.db, input.scenarioId);
  const tasks: QueryPlan["tasks"] = evaluation.request.fields.map((qualified) => {
    const [datasetId, field] = qualified.split(".") as [string, string];
    const row = rows.find((r) => r.dataset.id === datasetId);
    if (!row) throw new SluiceError("dataset_unknown", `dataset ${datasetId} has no registered compute node`);
    return {
      nodeId: row.node.id,
      url: row.node.url,
      publicKey: row.node.publicKey,
      datasetId,
      field,
      approval: proofFor(row.dataset.ownerId),
    };
  });
  if (new Set(tasks.map((t) => t.nodeId)).size !== tasks.length || tasks.length < 2) {
    throw new SluiceError("not_executable", "a secure sum needs one field from each of at least two owner nodes");
  }

  const epsilonMicro = evaluation.request.epsilonMicro;
  const jobId = newId("job");
  const reserved = await deps.db.transaction(async (tx) => {
    if (!(await reserveUsage(tx, input.scenarioId, epsilonMicro))) return false;
    await tx.insert(jobs).values({
      id: jobId,
      scenarioId: input.scenarioId,
      operatorId,
      query: {
        computeMode: input.computeMode,
        queryShape: input.queryShape,
        fields: evaluation.request.fields,
        epsilon: input.epsilon,
      },
      decisionHash: hash,
      epsilonMicro,
      requestId: requestId ?? null,
      createdAt: now,
    });
    return true;
  });
  if (!reserved)
    throw new SluiceError(
      "quota_exhausted",
      `scenario ${input.scenarioId} has no queries or ε left (another request took them)`,
    );

  const plan: QueryPlan = {
    version: 1,
    jobId,
    scenarioId: input.scenarioId,
    aggregate: "sum",
    decisionHash: hash,
    ...(requestId ? { requestId } : {}),
    terms,
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
    const message = error instanceof Error ? error.message : String(error);
    await deps.db.transaction(async (tx) => {
      await tx.update(jobs).set({ status: "failed", error: message, finishedAt: new Date() }).where(eq(jobs.id, jobId));
      await releaseUsage(tx, input.scenarioId, epsilonMicro);
    });
    throw error instanceof ComputeError ? error : new ComputeError("node_rejected", message, { cause: error });
  }

  const result = {
    queryShape: input.queryShape,
    fields: evaluation.request.fields,
    value: total.toString(),
    classification: decision.obligations.resultClassification,
  };
  const finishedAt = deps.now?.() ?? new Date();
  if (decision.obligations.requiresResultReview) {
    await deps.db.transaction(async (tx) => {
      await tx.update(jobs).set({ status: "awaiting_review", result }).where(eq(jobs.id, jobId));
      await tx.insert(jobReviews).values(decision.obligations.ownerIds.map((ownerId) => ({ jobId, ownerId })));
    });
    return { jobId, status: "awaiting_review" as const, decisionHash: hash, reviewers: decision.obligations.ownerIds };
  }
  const usageRecordId = await deps.db.transaction(async (tx) => {
    const [job] = await tx
      .select()
      .from(jobs)
      .where(and(eq(jobs.id, jobId), eq(jobs.status, "running")));
    if (!job) throw new SluiceError("conflict", `job ${jobId} is no longer running`);
    return finishJob(tx, deps.gatewayKeys, job, evaluation, result, finishedAt);
  });
  return { jobId, status: "succeeded" as const, result, usageRecordId, decisionHash: hash };
}
