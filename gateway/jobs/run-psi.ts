import { eq } from "drizzle-orm";
import { ComputeError } from "../../compute/errors.js";
import { postToNode } from "../../compute/mpc/secure-aggregate.js";
import {
  type PsiPlan,
  psiOwnerSetSchema,
  psiResultSchema,
  signPsiPlan,
  verifyPsiOwnerSet,
  verifyPsiResult,
} from "../../compute/psi/protocol.js";
import { NotFoundError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { jobs } from "../../store/index.js";
import type { GatewayDeps, GatewayLimits } from "../deps.js";
import { approvalProofs } from "./approval-proofs.js";
import type { Evaluation } from "./evaluate.js";
import { completeJob, decideUnheld, earlierOutcome, failJob, reserveJob } from "./lifecycle.js";
import { ownerTaskFor } from "./plan-tasks.js";

export interface PsiStartInput {
  jobId?: string;
  scenarioId: string;
  datasetId: string;
  idField: string;
  idKind: "uscc" | "text";
  output: "size" | "membership";
  epsilon: number;
}

/** How long an operator has between the two rounds: its own hashing and exponentiation take minutes at a million ids. */
const PSI_WINDOW_MS = 15 * 60_000;

interface OpenJob {
  operatorId: string;
  signed: ReturnType<typeof signPsiPlan>;
  evaluation: Evaluation;
  epsilon: number;
  timer: NodeJS.Timeout;
}

/**
 * PSI jobs through the gateway, in two rounds that the operator drives with its own exponent: the
 * start decides, reserves and opens the owner's session (answering with the owner's shuffled,
 * exponentiated set); the answer carries the operator's points and finishes the job with its usage
 * record. A job not answered within its window fails and gives its reservation back.
 */
export function createPsiJobs(deps: GatewayDeps, limits: GatewayLimits) {
  const open = new Map<string, OpenJob>();
  const nodeOptions = { fetch: deps.fetch, timeoutMs: Math.max(limits.nodeTimeoutMs, 120_000) };

  async function expire(jobId: string) {
    const job = open.get(jobId);
    open.delete(jobId);
    if (!job) return;
    const [row] = await deps.db.select().from(jobs).where(eq(jobs.id, jobId));
    if (row?.status === "running") {
      await failJob(
        deps,
        jobId,
        job.signed.plan.scenarioId,
        row.epsilonMicro,
        new Error("the operator did not answer in time"),
      );
    }
  }

  async function start(operatorId: string, input: PsiStartInput, requestId?: string) {
    const earlier = await earlierOutcome(deps, operatorId, input);
    if (earlier) return { ...earlier, ownerSet: null };
    const now = deps.now?.() ?? new Date();
    const evaluation = await decideUnheld(
      deps,
      operatorId,
      {
        scenarioId: input.scenarioId,
        computeMode: "psi",
        queryShape: input.output === "size" ? "psi-size" : "psi-membership",
        epsilon: input.epsilon,
      },
      [`${input.datasetId}.${input.idField}`],
      now,
      "an intersection's result cannot be held",
    );
    const { decision, hash } = evaluation;
    const proofs = await approvalProofs(deps.db, input.scenarioId);
    const task = await ownerTaskFor(deps.db, input.datasetId, input.idField, proofs);
    const jobId = input.jobId ?? newId("job");
    await reserveJob(deps, { jobId, operatorId, evaluation, epsilon: input.epsilon, requestId, now });
    const plan: PsiPlan = {
      version: 2,
      kind: "psi",
      jobId,
      scenarioId: input.scenarioId,
      idField: input.idField,
      idKind: input.idKind,
      output: input.output,
      epsilonMicro: evaluation.request.epsilonMicro,
      minGroupSize: decision.obligations.minGroupSize,
      decisionHash: hash,
      ...(requestId ? { requestId } : {}),
      terms: proofs.terms,
      task,
      issuedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + PSI_WINDOW_MS).toISOString(),
    };
    const signed = signPsiPlan(plan, deps.gatewayKeys.privateKey);
    try {
      const answer = psiOwnerSetSchema.safeParse(
        await postToNode(plan.task, "/psi/sessions", JSON.stringify(signed), nodeOptions, new AbortController().signal),
      );
      const ownerSet = answer.data;
      if (!ownerSet || ownerSet.jobId !== jobId || !verifyPsiOwnerSet(ownerSet, plan.task.publicKey)) {
        throw new ComputeError(
          "node_rejected",
          `node ${plan.task.nodeId} answered with an owner set that does not verify`,
        );
      }
      const timer = setTimeout(() => void expire(jobId), PSI_WINDOW_MS);
      timer.unref();
      open.set(jobId, { operatorId, signed, evaluation, epsilon: input.epsilon, timer });
      return {
        jobId,
        status: "running" as const,
        decisionHash: hash,
        expiresAt: plan.expiresAt,
        ownerSet: { points: ownerSet.points, count: ownerSet.count, invalid: ownerSet.invalid },
      };
    } catch (error) {
      throw await failJob(deps, jobId, input.scenarioId, evaluation.request.epsilonMicro, error);
    }
  }

  async function answer(
    operatorId: string,
    jobId: string,
    input: { operatorPoints: string; ownerPointsRaised?: string },
  ) {
    const job = open.get(jobId);
    if (!job || job.operatorId !== operatorId) throw new NotFoundError("open PSI job of yours", jobId);
    open.delete(jobId);
    clearTimeout(job.timer);
    const { plan, signature } = job.signed;
    let result: Record<string, unknown>;
    try {
      const parsed = psiResultSchema.safeParse(
        await postToNode(
          plan.task,
          "/psi/answers",
          JSON.stringify({ jobId, signature, ...input }),
          nodeOptions,
          new AbortController().signal,
        ),
      );
      const reply = parsed.data;
      if (
        !reply ||
        reply.jobId !== jobId ||
        reply.output !== plan.output ||
        !verifyPsiResult(reply, plan.task.publicKey)
      ) {
        throw new ComputeError("node_rejected", `node ${plan.task.nodeId} answered with a result that does not verify`);
      }
      const { obligations } = job.evaluation.decision as Extract<Evaluation["decision"], { effect: "allow" }>;
      result = {
        queryShape: plan.output === "size" ? "psi-size" : "psi-membership",
        datasetId: (plan.task as { datasetId: string }).datasetId,
        idField: plan.idField,
        size: reply.size,
        suppressed: reply.suppressed,
        minGroupSize: plan.minGroupSize,
        noise:
          plan.output === "size" && plan.epsilonMicro > 0
            ? { mechanism: "discrete-laplace", epsilon: job.epsilon, scale: 1_000_000 / plan.epsilonMicro }
            : { mechanism: "none" },
        classification: obligations.resultClassification,
        ...(reply.answers ? { answers: reply.answers } : {}),
      };
    } catch (error) {
      throw await failJob(deps, jobId, plan.scenarioId, plan.epsilonMicro, error);
    }
    const usageRecordId = await completeJob(deps, jobId, job.evaluation, result, deps.now?.() ?? new Date());
    return { jobId, status: "succeeded" as const, result, usageRecordId, decisionHash: job.evaluation.hash };
  }

  /**
   * The operator gives up an open job (its SDK failed, or it was interrupted): the job fails and
   * gives its reservation back at once, and the owner's node drops its session and exponent.
   */
  async function cancel(operatorId: string, jobId: string) {
    const job = open.get(jobId);
    if (!job || job.operatorId !== operatorId) throw new NotFoundError("open PSI job of yours", jobId);
    open.delete(jobId);
    clearTimeout(job.timer);
    const { plan, signature } = job.signed;
    await failJob(deps, jobId, plan.scenarioId, plan.epsilonMicro, new Error("cancelled by the operator"));
    let ownerSessionEnded = false;
    try {
      const reply = (await postToNode(
        plan.task,
        "/psi/cancellations",
        JSON.stringify({ jobId, signature }),
        nodeOptions,
        new AbortController().signal,
      )) as { ended?: unknown };
      ownerSessionEnded = reply?.ended === true;
    } catch (error) {
      // The node's session ends with its plan's expiry anyway; the job and the reservation are settled.
      deps.logger?.warn({ err: error, jobId }, "the owner's node did not take the cancellation");
    }
    return { jobId, status: "failed" as const, error: "cancelled by the operator", ownerSessionEnded };
  }

  return { start, answer, cancel };
}
