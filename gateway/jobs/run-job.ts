import type { QueryPlan } from "../../compute/index.js";
import { SluiceError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import type { GatewayDeps, GatewayLimits } from "../deps.js";
import { approvalProofs } from "./approval-proofs.js";
import { checkQueryTypes } from "./check-query.js";
import { computeResult } from "./compute-result.js";
import { aggregateQueryOf, evaluate, type JobInput, notExecutable, storeDecision } from "./evaluate.js";
import {
  completeJob,
  denied,
  earlierOutcome,
  failJob,
  holdForReview,
  operatorHeKeys,
  reserveJob,
} from "./lifecycle.js";
import { planTasks } from "./plan-tasks.js";

/**
 * Everything a job needs besides its reservation, checked the same way for /jobs and /jobs/explain:
 * the field types, the mode and shape, the owners' signed approvals, the operator's keys and the
 * nodes. A query that cannot run throws here, before anything is reserved.
 */
async function preparePlan(deps: GatewayDeps, operatorId: string, input: JobInput) {
  const query = aggregateQueryOf(input);
  await checkQueryTypes(deps.db, input.fields, query);
  const blocker = notExecutable(input);
  if (blocker) throw new SluiceError("not_executable", blocker);
  const proofs = await approvalProofs(deps.db, input.scenarioId);
  const operatorKeys =
    input.computeMode === "he" ? await operatorHeKeys(deps, operatorId, input.heKeysId, "bfv-") : undefined;
  const computeMode = input.computeMode === "he" ? ("he" as const) : ("mpc" as const);
  const { tasks, valueScale } = await planTasks(deps.db, input.fields, query.aggregate, proofs, computeMode);
  return { query, proofs, operatorKeys, computeMode, tasks, valueScale };
}

/**
 * Dry run: whether the query would be allowed, why, with which obligations, and whether /jobs would
 * run it (the same checks, in the same order); nothing is reserved, run or charged.
 */
export async function explainJob(deps: GatewayDeps, operatorId: string, input: JobInput) {
  const evaluation = await evaluate(deps.db, operatorId, input, deps.now?.() ?? new Date());
  const allowed = evaluation.decision.effect === "allow";
  let blocker: string | null = null;
  if (allowed) {
    try {
      await preparePlan(deps, operatorId, input);
    } catch (error) {
      if (!(error instanceof SluiceError && error.code === "not_executable")) throw error;
      blocker = error.message;
    }
  }
  return {
    allowed,
    executable: allowed && blocker === null,
    ...(blocker ? { notExecutableBecause: blocker } : {}),
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
  const earlier = await earlierOutcome(deps, operatorId, input);
  if (earlier) return earlier;
  const now = deps.now?.() ?? new Date();
  const evaluation = await evaluate(deps.db, operatorId, input, now);
  const { decision, hash } = evaluation;
  await storeDecision(deps.db, evaluation);
  if (decision.effect === "deny") throw denied(hash, decision);
  const { query, proofs, operatorKeys, computeMode, tasks, valueScale } = await preparePlan(
    deps,
    operatorId,
    input,
  ).catch((error: unknown) => {
    if (error instanceof SluiceError && error.code === "not_executable" && !error.details) {
      throw new SluiceError("not_executable", error.message, { details: { decisionHash: hash } });
    }
    throw error;
  });
  const epsilonMicro = evaluation.request.epsilonMicro;
  const jobId = input.jobId ?? newId("job");
  await reserveJob(deps, { jobId, operatorId, evaluation, epsilon: input.epsilon, requestId, now });

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
    throw await failJob(deps, jobId, error);
  }
  const finishedAt = deps.now?.() ?? new Date();
  if (decision.obligations.requiresResultReview) return holdForReview(deps, jobId, result, decision, hash);
  let usageRecordId: string;
  try {
    usageRecordId = await completeJob(deps, jobId, evaluation, result, finishedAt);
  } catch (error) {
    // Nothing was released: the job fails and gives its reservation back rather than holding it.
    await failJob(deps, jobId, error);
    throw error;
  }
  return { jobId, status: "succeeded" as const, result, usageRecordId, decisionHash: hash };
}
