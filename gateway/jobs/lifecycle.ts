import { and, eq, sql } from "drizzle-orm";
import { ComputeError } from "../../compute/index.js";
import { ConflictError, NotFoundError, SluiceError } from "../../lib/errors.js";
import { heKeys, jobReviews, jobs, usageRecords } from "../../store/index.js";
import type { GatewayDeps } from "../deps.js";
import { reserveUsage } from "../services/usage.js";
import { type Evaluation, evaluateFields, storeDecision } from "./evaluate.js";
import { endUnfinishedJob, finishJob } from "./finish.js";

// The steps every kind of job shares: refuse, reserve, fail and release, or finish with its record.

export function denied(hash: string, decision: Extract<Evaluation["decision"], { effect: "deny" }>) {
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

/** The operator's own registered key set of the scheme the job needs, which the owners will encrypt under. */
export async function operatorHeKeys(
  deps: GatewayDeps,
  operatorId: string,
  id: string | undefined,
  scheme: "bfv-" | "ckks-",
) {
  const [row] = id
    ? await deps.db
        .select()
        .from(heKeys)
        .where(and(eq(heKeys.id, id), eq(heKeys.operatorId, operatorId)))
    : [];
  if (!row) throw new NotFoundError("homomorphic key set of yours", id ?? "(none given)");
  if (!row.paramSet.startsWith(scheme)) {
    const needs = scheme === "bfv-" ? "encrypted aggregation needs BFV keys" : "encrypted scoring needs CKKS keys";
    throw new SluiceError("not_executable", `${needs}; ${row.id} is ${row.paramSet}`);
  }
  return row;
}

/** The outcome of a job the operator already started under this id: the same answer, never a second run. */
export async function earlierOutcome(
  deps: GatewayDeps,
  operatorId: string,
  input: { jobId?: string; scenarioId: string },
) {
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
 * Reserves one query and the job's ε and records the job as running, atomically: when another
 * request took what was left, nothing is written and the operator is told so.
 */
export async function reserveJob(
  deps: GatewayDeps,
  job: { jobId: string; operatorId: string; evaluation: Evaluation; epsilon: number; requestId?: string; now: Date },
): Promise<void> {
  const { request, hash } = job.evaluation;
  const reserved = await deps.db.transaction(async (tx) => {
    if (!(await reserveUsage(tx, request.scenarioId, request.epsilonMicro))) return false;
    await tx.insert(jobs).values({
      id: job.jobId,
      scenarioId: request.scenarioId,
      operatorId: job.operatorId,
      query: {
        computeMode: request.computeMode,
        queryShape: request.queryShape,
        fields: request.fields,
        epsilon: job.epsilon,
      },
      decisionHash: hash,
      epsilonMicro: request.epsilonMicro,
      requestId: job.requestId ?? null,
      replicaId: deps.replicaId ?? null,
      createdAt: job.now,
    });
    return true;
  });
  if (!reserved) {
    throw new SluiceError(
      "quota_exhausted",
      `scenario ${request.scenarioId} has no queries or ε left (another request took them)`,
    );
  }
}

/**
 * Ends a running job that failed; returns the error to throw. It gives back what it reserved,
 * unless a result had already left for the operator, in which case it is charged with what it
 * released (endUnfinishedJob). A job already ended (by a cancellation, an expiry or the sweep
 * while its last step was under way) is left as it is, so what it reserved comes back once.
 */
export async function failJob(deps: GatewayDeps, jobId: string, error: unknown): Promise<Error> {
  const message = error instanceof Error ? error.message : String(error);
  await endRunningJob(deps, jobId, message);
  return error instanceof ComputeError ? error : new ComputeError("node_rejected", message, { cause: error });
}

/** Ends a job if it is still running (see endUnfinishedJob); what became of it, or null when it had already ended. */
export function endRunningJob(deps: GatewayDeps, jobId: string, reason: string) {
  return deps.db.transaction(async (tx) => {
    const [job] = await tx
      .select()
      .from(jobs)
      .where(and(eq(jobs.id, jobId), eq(jobs.status, "running")))
      .for("update");
    return job ? endUnfinishedJob(tx, deps.gatewayKeys, job, reason, new Date()) : null;
  });
}

/**
 * Notes, before a result's first byte leaves for the operator, that the job is charged from now on
 * however it ends. Throws when the job is no longer running (cancelled or expired meanwhile): then
 * nothing may leave.
 */
export async function markReleased(deps: GatewayDeps, jobId: string): Promise<void> {
  const marked = await deps.db
    .update(jobs)
    .set({ releasedAt: sql`coalesce(${jobs.releasedAt}, now())` })
    .where(and(eq(jobs.id, jobId), eq(jobs.status, "running")))
    .returning({ id: jobs.id });
  if (marked.length === 0) throw new ConflictError(`job ${jobId} is no longer running; nothing more is released`);
}

/** Finishes a running job with its result and signed usage record, in one transaction. */
export function completeJob(
  deps: GatewayDeps,
  jobId: string,
  evaluation: Evaluation,
  result: Record<string, unknown>,
  finishedAt: Date,
): Promise<string> {
  return deps.db.transaction(async (tx) => {
    const [job] = await tx
      .select()
      .from(jobs)
      .where(and(eq(jobs.id, jobId), eq(jobs.status, "running")));
    if (!job) throw new SluiceError("conflict", `job ${jobId} is no longer running`);
    return finishJob(tx, deps.gatewayKeys, job, evaluation, result, finishedAt);
  });
}

type Allowed = Evaluation & { decision: Extract<Evaluation["decision"], { effect: "allow" }> };

/** Decides a job over the fields it reads, keeps the decision for replay, and throws when it is denied. */
export async function decideAllowed(
  deps: GatewayDeps,
  operatorId: string,
  input: Parameters<typeof evaluateFields>[2],
  fields: string[],
  at: Date,
): Promise<Allowed> {
  const evaluation = await evaluateFields(deps.db, operatorId, input, fields, at);
  await storeDecision(deps.db, evaluation);
  const { decision, hash } = evaluation;
  if (decision.effect === "deny") throw denied(hash, decision);
  return evaluation as Allowed;
}

/**
 * Holds a computed result for the owners' review, when the scenario demands it: the job waits, the
 * result stored, one review pending per owner; the last release finishes it (review.ts).
 */
export async function holdForReview(
  deps: GatewayDeps,
  jobId: string,
  result: Record<string, unknown>,
  decision: Allowed["decision"],
  hash: string,
) {
  await deps.db.transaction(async (tx) => {
    await tx.update(jobs).set({ status: "awaiting_review", result }).where(eq(jobs.id, jobId));
    await tx.insert(jobReviews).values(decision.obligations.ownerIds.map((ownerId) => ({ jobId, ownerId })));
  });
  return { jobId, status: "awaiting_review" as const, decisionHash: hash, reviewers: decision.obligations.ownerIds };
}

/**
 * Decides a job whose result cannot wait for the owners' review (encrypted scores, PSI), keeps the
 * decision for replay, and throws when it is denied or the scenario holds results for review.
 */
export async function decideUnheld(
  deps: GatewayDeps,
  operatorId: string,
  input: Parameters<typeof evaluateFields>[2],
  fields: string[],
  at: Date,
  why: string,
): Promise<Allowed> {
  const evaluation = await decideAllowed(deps, operatorId, input, fields, at);
  const { decision } = evaluation;
  if (decision.obligations.requiresResultReview) {
    throw new SluiceError("not_executable", `this scenario holds every result for the owners' review; ${why}`);
  }
  return evaluation;
}
