import { and, eq } from "drizzle-orm";
import { ComputeError, type QueryPlan } from "../../compute/index.js";
import { ConflictError, NotFoundError, SluiceError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { heKeys, jobReviews, jobs, usageRecords } from "../../store/index.js";
import type { GatewayDeps, GatewayLimits } from "../deps.js";
import { releaseUsage, reserveUsage } from "../services/usage.js";
import { approvalProofs } from "./approval-proofs.js";
import { computeResult } from "./compute-result.js";
import { aggregateQueryOf, evaluate, type JobInput, notExecutable, storeDecision } from "./evaluate.js";
import { finishJob } from "./finish.js";
import { planTasks } from "./plan-tasks.js";

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
  aggregateQueryOf(input);
  const evaluation = await evaluate(deps.db, operatorId, input, deps.now?.() ?? new Date());
  const blocker = notExecutable(input);
  return {
    allowed: evaluation.decision.effect === "allow",
    executable: evaluation.decision.effect === "allow" && blocker === null,
    ...(blocker && evaluation.decision.effect === "allow" ? { notExecutableBecause: blocker } : {}),
    decision: evaluation.decision,
    decisionHash: evaluation.hash,
  };
}

/** The operator's own registered BFV key set, which every owner will encrypt under. */
async function operatorHeKeys(deps: GatewayDeps, operatorId: string, id: string | undefined) {
  const [row] = id
    ? await deps.db
        .select()
        .from(heKeys)
        .where(and(eq(heKeys.id, id), eq(heKeys.operatorId, operatorId)))
    : [];
  if (!row) throw new NotFoundError("homomorphic key set of yours", id ?? "(none given)");
  if (!row.paramSet.startsWith("bfv-")) {
    throw new SluiceError("not_executable", `encrypted aggregation needs BFV keys; ${row.id} is ${row.paramSet}`);
  }
  return row;
}

/** The outcome of a job the operator already started under this id: the same answer, never a second run. */
async function earlierOutcome(deps: GatewayDeps, operatorId: string, input: JobInput) {
  if (!input.jobId) return undefined;
  const [job] = await deps.db.select().from(jobs).where(eq(jobs.id, input.jobId));
  if (!job) return undefined;
  const sameRequest = job.operatorId === operatorId && job.scenarioId === input.scenarioId;
  if (!sameRequest) throw new ConflictError(`job id ${input.jobId} is already taken; choose another`);
  if (job.status === "running") throw new ConflictError(`job ${job.id} is still running; ask GET /jobs/${job.id}`);
  if (job.status === "failed")
    throw new ConflictError(`job ${job.id} failed (${job.error}); nothing was charged; retry with a new job id`);
  if (job.status === "withheld") throw new ConflictError(`job ${job.id} was withheld by an owner's review`);
  if (job.status === "awaiting_review") {
    const reviewers = await deps.db.select().from(jobReviews).where(eq(jobReviews.jobId, job.id));
    return {
      jobId: job.id,
      status: "awaiting_review" as const,
      decisionHash: job.decisionHash,
      reviewers: reviewers.map((r) => r.ownerId),
    };
  }
  const [record] = await deps.db
    .select({ id: usageRecords.id })
    .from(usageRecords)
    .where(eq(usageRecords.jobId, job.id));
  return {
    jobId: job.id,
    status: "succeeded" as const,
    result: job.result as Record<string, unknown>,
    usageRecordId: record?.id as string,
    decisionHash: job.decisionHash,
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
  const earlier = await earlierOutcome(deps, operatorId, input);
  if (earlier) return earlier;
  const query = aggregateQueryOf(input);
  const now = deps.now?.() ?? new Date();
  const evaluation = await evaluate(deps.db, operatorId, input, now);
  const { decision, hash } = evaluation;
  await storeDecision(deps.db, evaluation);
  if (decision.effect === "deny") throw denied(hash, decision);
  const blocker = notExecutable(input);
  if (blocker) throw new SluiceError("not_executable", blocker, { details: { decisionHash: hash } });

  const proofs = await approvalProofs(deps.db, input.scenarioId);
  const operatorKeys = input.computeMode === "he" ? await operatorHeKeys(deps, operatorId, input.heKeysId) : undefined;
  const computeMode = input.computeMode === "he" ? "he" : "mpc";
  const { tasks, valueScale } = await planTasks(deps.db, input.fields, query.aggregate, proofs, computeMode);
  const epsilonMicro = evaluation.request.epsilonMicro;
  const jobId = input.jobId ?? newId("job");
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
    version: 2,
    jobId,
    scenarioId: input.scenarioId,
    computeMode,
    ...(operatorKeys
      ? {
          he: {
            keysId: operatorKeys.id,
            paramSet: operatorKeys.paramSet as "bfv-8192",
            publicKey: operatorKeys.publicKey,
          },
        }
      : {}),
    minGroupSize: decision.obligations.minGroupSize,
    query,
    valueScale,
    epsilonMicro,
    decisionHash: hash,
    ...(requestId ? { requestId } : {}),
    terms: proofs.terms,
    tasks,
    issuedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + limits.nodeTimeoutMs).toISOString(),
  };
  let result: Record<string, unknown>;
  try {
    result = await computeResult(deps, limits, plan, { fields: input.fields, decision, heKeys: operatorKeys });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await deps.db.transaction(async (tx) => {
      await tx.update(jobs).set({ status: "failed", error: message, finishedAt: new Date() }).where(eq(jobs.id, jobId));
      await releaseUsage(tx, input.scenarioId, epsilonMicro);
    });
    throw error instanceof ComputeError ? error : new ComputeError("node_rejected", message, { cause: error });
  }
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
