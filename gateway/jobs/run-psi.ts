import { eq } from "drizzle-orm";
import { ComputeError } from "../../compute/errors.js";
import { addInRing, fromRing } from "../../compute/mpc/ring.js";
import { postToNode } from "../../compute/mpc/secure-aggregate.js";
import type { NodeTask } from "../../compute/protocol.js";
import {
  type PsiHelperRelease,
  psiHelperReleaseSchema,
  verifyPsiHelperRelease,
} from "../../compute/psi/helper-protocol.js";
import { PSI_CHUNK_ITEMS } from "../../compute/psi/limits.js";
import {
  type PsiChunkReceipt,
  type PsiOwnerSet,
  type PsiPage,
  type PsiPlan,
  type PsiResult,
  psiChunkReceiptSchema,
  psiOwnerSetSchema,
  psiPageSchema,
  psiResultSchema,
  signPsiPlan,
  verifyPsiOwnerSet,
  verifyPsiResult,
} from "../../compute/psi/protocol.js";
import { NotFoundError, ValidationError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { jobs, usageRecords } from "../../store/index.js";
import type { GatewayDeps, GatewayLimits } from "../deps.js";
import { approvalProofs } from "./approval-proofs.js";
import {
  completeJob,
  decideUnheld,
  earlierOutcome,
  endRunningJob,
  failJob,
  markReleased,
  reserveJob,
} from "./lifecycle.js";
import { type OpenPsiJob, OpenPsiJobs, type SignedPsiPlan } from "./open-psi-jobs.js";
import { helperTask, ownerTaskFor, valueScaleOf } from "./plan-tasks.js";
import { combinedResult, ownerResult, sumResult } from "./psi-results.js";

export interface PsiStartInput {
  jobId?: string;
  scenarioId: string;
  datasetId: string;
  idField: string;
  idKind: "uscc" | "text";
  output: "size" | "membership" | "sum";
  /** A sum: the owner's numeric field, each entity's total clamped to [min, max] in the field's unit, and the operator's X25519 key for the job. */
  value?: { field: string; min: number; max: number; operatorKey: string };
  /** A size over two owners: the second owner's dataset and id field, and how the two sets combine. */
  combineWith?: { datasetId: string; idField: string; op: "union" | "intersection" };
  epsilon: number;
}

/** The end of the operator's uploads: how many chunks and points of its own it sent. */
export interface PsiAnswerInput {
  operatorChunks: number;
  operatorCount: number;
}

/** A chunk of points the operator sends: index and base64. */
export interface PsiChunkInput {
  index: number;
  points: string;
}

/** The longest window: a job open longer would meet the stale-job sweep. */
const MAX_PSI_WINDOW_MS = 25 * 60_000;

const PSI_SHAPES = { size: "psi-size", membership: "psi-membership", sum: "psi-sum" } as const;

/** How often each replica looks for PSI jobs whose window ended. */
const EXPIRY_CHECK_MS = 5_000;

const rejected = (nodeId: string, what: string) =>
  new ComputeError("node_rejected", `node ${nodeId} answered with ${what} that does not verify`, { nodeId });

/** Fields the decision covers: the id field of each owner's dataset, and a sum's value field. */
function fieldsOf(input: PsiStartInput): string[] {
  const fields = [`${input.datasetId}.${input.idField}`];
  if (input.value) fields.push(`${input.datasetId}.${input.value.field}`);
  if (input.combineWith) fields.push(`${input.combineWith.datasetId}.${input.combineWith.idField}`);
  return fields;
}

function checkShape(input: PsiStartInput) {
  if ((input.output === "sum") !== (input.value !== undefined)) {
    throw new ValidationError("a sum names its value field and bounds (value), and only a sum does", [
      { path: "value", message: "required for output sum, and only for it" },
    ]);
  }
  if (input.combineWith && input.output !== "size") {
    throw new ValidationError("two owners' sets combine for the size only", [
      { path: "combineWith", message: "only with output size" },
    ]);
  }
  if (input.combineWith?.datasetId === input.datasetId) {
    throw new ValidationError("combine two different owners' datasets", [
      { path: "combineWith.datasetId", message: "must differ from datasetId" },
    ]);
  }
}

/** A sum's bounds in the column's kept units (hundredths for a decimal); they must be whole there. */
function keptBounds(value: NonNullable<PsiStartInput["value"]>, scale: number) {
  const kept = (x: number) => Math.round(x * scale);
  const [min, max] = [kept(value.min), kept(value.max)];
  if (Math.abs(min / scale - value.min) > 1e-9 || Math.abs(max / scale - value.max) > 1e-9) {
    throw new ValidationError(`the bounds have more decimal places than ${value.field} keeps`, [
      { path: "value", message: `at most ${Math.log10(scale)} decimal places` },
    ]);
  }
  return { min, max };
}

/**
 * PSI jobs through the gateway, which the operator's SDK drives in chunks with its own exponent:
 * the start decides, reserves and opens each owner's session; the gateway relays the owners' pages
 * and the operator's chunks; the answer has the owners compare and finishes the job (through the
 * helper for two owners), or for a sum leaves the owner's answers to page through, and the sum step
 * has the helper release its share. A refused step, or a job not finished within its window,
 * fails and gives its reservation back, and the owners drop their sessions.
 */
export function createPsiJobs(deps: GatewayDeps, limits: GatewayLimits) {
  // How long an operator has between the rounds: its own hashing and exponentiation take minutes at a million ids.
  const windowMs = Math.min(limits.psiWindowMs, MAX_PSI_WINDOW_MS);
  const nodeOptions = { fetch: deps.fetch, timeoutMs: Math.max(limits.nodeTimeoutMs, 120_000) };
  // An answer reaches the owners and the helper in turn: twice the nodes' time, and a margin.
  const open = new OpenPsiJobs(deps.db, 2 * nodeOptions.timeoutMs + 30_000, () => deps.now?.() ?? new Date());
  const post = (task: NodeTask, path: string, body: unknown) =>
    postToNode(task, path, JSON.stringify(body), nodeOptions, new AbortController().signal);

  /** Ends the jobs whose window closed, whichever replica opened them (each is taken by one replica). */
  async function expireLapsed() {
    for (const { jobId } of await open.takeExpired()) {
      await endRunningJob(deps, jobId, "the operator did not answer in time").catch((error: unknown) =>
        deps.logger?.warn({ err: error, jobId }, "ending an expired PSI job failed; the sweep will"),
      );
    }
  }
  let expiry: NodeJS.Timeout | undefined;
  /** Starts looking: at once where replicas share the jobs (another may have died), else at the first job opened. */
  const watchExpiry = () => {
    expiry ??= setInterval(
      () =>
        void expireLapsed().catch((error: unknown) =>
          deps.logger?.warn({ err: error }, "looking for expired PSI jobs failed; the next look will"),
        ),
      EXPIRY_CHECK_MS,
    );
    expiry.unref();
  };
  if (deps.replicated) watchExpiry();

  /** A relayed step failed: the job fails, gives its reservation back, and the owners drop their sessions. */
  async function failOpen(jobId: string, job: OpenPsiJob, error: unknown): Promise<Error> {
    await open.remove(jobId);
    await endSessions(job.signed);
    return failJob(deps, jobId, error);
  }

  async function startSession({ plan, signature }: SignedPsiPlan): Promise<PsiOwnerSet> {
    const reply = psiOwnerSetSchema.safeParse(await post(plan.task, "/psi/sessions", { plan, signature })).data;
    const { nodeId } = plan.task;
    if (!reply || reply.jobId !== plan.jobId || !verifyPsiOwnerSet(reply, plan.task.publicKey)) {
      throw rejected(nodeId, "an owner set");
    }
    if (plan.sum && (reply.helperSeed?.kind !== "sum-seed" || reply.helperSeed.count !== reply.count)) {
      throw rejected(nodeId, "a sum's seed");
    }
    return reply;
  }

  async function start(operatorId: string, input: PsiStartInput, requestId?: string) {
    checkShape(input);
    const earlier = await earlierOutcome(deps, operatorId, input);
    if (earlier) return { ...earlier, ownerSet: null };
    const now = deps.now?.() ?? new Date();
    const evaluation = await decideUnheld(
      deps,
      operatorId,
      {
        scenarioId: input.scenarioId,
        computeMode: "psi",
        queryShape: PSI_SHAPES[input.output],
        epsilon: input.epsilon,
      },
      fieldsOf(input),
      now,
      "an intersection's result cannot be held",
    );
    const { decision, hash } = evaluation;
    const proofs = await approvalProofs(deps.db, input.scenarioId);
    const owners = [{ datasetId: input.datasetId, idField: input.idField }];
    if (input.combineWith) owners.push(input.combineWith);
    const tasks = await Promise.all(owners.map((o) => ownerTaskFor(deps.db, o.datasetId, o.idField, proofs)));
    const needsHelper = input.value !== undefined || input.combineWith !== undefined;
    const helper = needsHelper
      ? await helperTask(deps.db, "a PSI-sum or a two-owner size needs the platform's helper node")
      : undefined;
    const valueScale = input.value ? await valueScaleOf(deps.db, input.datasetId, input.value.field) : 1;
    const jobId = input.jobId ?? newId("job");
    await reserveJob(deps, { jobId, operatorId, evaluation, epsilon: input.epsilon, requestId, now });
    let signed: SignedPsiPlan[] = [];
    try {
      signed = tasks.map((task, i) => {
        const plan: PsiPlan = {
          version: 2,
          kind: "psi",
          jobId,
          scenarioId: input.scenarioId,
          idField: owners[i]?.idField as string,
          idKind: input.idKind,
          output: input.output,
          ...(input.value
            ? {
                sum: {
                  valueField: input.value.field,
                  valueScale,
                  ...keptBounds(input.value, valueScale),
                  operatorKey: input.value.operatorKey,
                },
              }
            : {}),
          ...(input.combineWith
            ? {
                combine: { op: input.combineWith.op, owners: [tasks[0]?.nodeId, tasks[1]?.nodeId] as [string, string] },
              }
            : {}),
          ...(helper ? { helper } : {}),
          epsilonMicro: evaluation.request.epsilonMicro,
          minGroupSize: decision.obligations.minGroupSize,
          decisionHash: hash,
          ...(requestId ? { requestId } : {}),
          terms: proofs.terms,
          task,
          issuedAt: now.toISOString(),
          expiresAt: new Date(now.getTime() + windowMs).toISOString(),
        };
        return signPsiPlan(plan, deps.gatewayKeys.privateKey);
      });
      const sets = await Promise.all(signed.map(startSession));
      const [first, second] = sets as [PsiOwnerSet, PsiOwnerSet | undefined];
      watchExpiry();
      await open.open(
        jobId,
        operatorId,
        { signed, evaluation, epsilon: input.epsilon, ...(first.helperSeed ? { helperSeed: first.helperSeed } : {}) },
        new Date(now.getTime() + windowMs),
      );
      const shown = (set: PsiOwnerSet) => ({
        count: set.count,
        invalid: set.invalid,
        chunks: Math.ceil(set.count / PSI_CHUNK_ITEMS),
      });
      return {
        jobId,
        status: "running" as const,
        decisionHash: hash,
        expiresAt: new Date(now.getTime() + windowMs).toISOString(),
        chunkSize: PSI_CHUNK_ITEMS,
        ownerSet: shown(first),
        ...(second ? { secondOwnerSet: shown(second) } : {}),
      };
    } catch (error) {
      // An owner that did open its session drops it now, not at the window's end.
      if (signed.length > 0) await endSessions(signed);
      throw await failJob(deps, jobId, error);
    }
  }

  async function ownerAnswer({ plan, signature }: SignedPsiPlan, body: PsiAnswerInput): Promise<PsiResult> {
    const reply = psiResultSchema.safeParse(
      await post(plan.task, "/psi/answers", { jobId: plan.jobId, signature, ...body }),
    ).data;
    if (
      !reply ||
      reply.jobId !== plan.jobId ||
      reply.output !== plan.output ||
      !verifyPsiResult(reply, plan.task.publicKey)
    ) {
      throw rejected(plan.task.nodeId, "a result");
    }
    return reply;
  }

  async function helperRelease(plan: PsiPlan, path: string, body: unknown): Promise<PsiHelperRelease> {
    const helper = plan.helper as NonNullable<PsiPlan["helper"]>;
    const reply = psiHelperReleaseSchema.safeParse(await post(helper, path, body)).data;
    if (!reply || reply.jobId !== plan.jobId || !verifyPsiHelperRelease(reply, helper.publicKey)) {
      throw rejected(helper.nodeId, "a release");
    }
    return reply;
  }

  async function finish(jobId: string, job: OpenPsiJob, result: Record<string, unknown>) {
    const usageRecordId = await completeJob(deps, jobId, job.evaluation, result, deps.now?.() ?? new Date());
    return { jobId, status: "succeeded" as const, result, usageRecordId, decisionHash: job.evaluation.hash };
  }

  /**
   * Records the result, then takes the job out of the open table: while it is in the table no
   * replica takes it for a dead one's orphan, and a failed record still leaves it to the window.
   */
  async function finishOpen(jobId: string, job: OpenPsiJob, result: Record<string, unknown>) {
    const outcome = await finish(jobId, job, result);
    await open.remove(jobId);
    return outcome;
  }

  /** The owner's plan by its position in the job (0, or 1 for the second owner of a two-owner size). */
  function ownerPlan(job: OpenPsiJob, owner: number): SignedPsiPlan {
    const signed = job.signed[owner];
    if (!signed) throw new NotFoundError("owner of this job", String(owner));
    return signed;
  }

  /** Before a job's first result leaves: from now on it is charged however it ends. */
  async function released(jobId: string, job: OpenPsiJob) {
    if (job.released) return;
    await markReleased(deps, jobId);
    await open.markReleased(jobId);
    job.released = true;
  }

  /** Relays one step of an open job to a node; a node's refusal fails the job (only a repeated chunk does not). */
  async function relay<T>(jobId: string, job: OpenPsiJob, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if ((error as { code?: string }).code === "psi_chunk_repeated" || !(await open.isOpen(jobId))) throw error;
      throw await failOpen(jobId, job, error);
    }
  }

  /** A page of an owner's set, as its node computes it: H(y)^b and, for a sum, the operator's shares. */
  async function page(operatorId: string, jobId: string, owner: number, index: number): Promise<PsiPage> {
    const job = await open.get(operatorId, jobId, false);
    const { plan, signature } = ownerPlan(job, owner);
    return relay(jobId, job, async () => {
      const reply = psiPageSchema.safeParse(await post(plan.task, "/psi/pages", { jobId, signature, index })).data;
      if (
        !reply ||
        reply.jobId !== jobId ||
        reply.index !== index ||
        Boolean(reply.operatorShares) !== Boolean(plan.sum)
      ) {
        throw rejected(plan.task.nodeId, "a page");
      }
      return reply;
    });
  }

  async function chunkTo(signed: SignedPsiPlan, path: string, chunk: PsiChunkInput): Promise<PsiChunkReceipt> {
    const { plan, signature } = signed;
    const reply = psiChunkReceiptSchema.safeParse(
      await post(plan.task, path, { jobId: plan.jobId, signature, ...chunk }),
    ).data;
    if (!reply || reply.jobId !== plan.jobId || reply.index !== chunk.index)
      throw rejected(plan.task.nodeId, "a receipt");
    return reply;
  }

  /** A chunk of the operator's points H(x)^a, to every owner; for membership, the owner's H(x)^ab back. */
  async function operatorPoints(operatorId: string, jobId: string, chunk: PsiChunkInput) {
    const job = await open.get(operatorId, jobId, false);
    return relay(jobId, job, async () => {
      const receipts = await Promise.all(job.signed.map((signed) => chunkTo(signed, "/psi/operator-points", chunk)));
      const [receipt] = receipts as [PsiChunkReceipt];
      if (receipt.answers && receipt.count > 0) await released(jobId, job);
      return {
        jobId,
        index: chunk.index,
        count: receipt.count,
        ...(receipt.answers ? { answers: receipt.answers } : {}),
      };
    });
  }

  /** A chunk of an owner's points raised by the operator and sorted (H(y)^ba), for a size. */
  async function raisedPoints(operatorId: string, jobId: string, owner: number, chunk: PsiChunkInput) {
    const job = await open.get(operatorId, jobId, false);
    const signed = ownerPlan(job, owner);
    return relay(jobId, job, async () => {
      const receipt = await chunkTo(signed, "/psi/raised-points", chunk);
      return { jobId, index: chunk.index, count: receipt.count };
    });
  }

  /** The operator's uploads are complete: the owners compare and release (a sum's answers wait in pages). */
  async function answer(operatorId: string, jobId: string, input: PsiAnswerInput) {
    const job = await open.claim(operatorId, jobId, false);
    const [first, second] = job.signed as [SignedPsiPlan, SignedPsiPlan | undefined];
    const { plan } = first;
    let result: Record<string, unknown>;
    try {
      const replies = await Promise.all(job.signed.map((signed) => ownerAnswer(signed, input)));
      const [reply] = replies as [PsiResult];
      if (plan.output === "sum") {
        if (reply.answerChunks === undefined) throw rejected(reply.nodeId, "a sum's answer without its pages");
        // The answers tell the operator how many of the owner's entities matched.
        if (reply.answerChunks > 0) await released(jobId, job);
        await open.markAnswered(jobId);
        return { jobId, status: "running" as const, answerChunks: reply.answerChunks };
      }
      if (second) {
        const bits = replies.map((r) => {
          if (!r.helperBits) throw rejected(r.nodeId, "no membership bits for the helper");
          return r.helperBits;
        });
        const release = await helperRelease(plan, "/psi/combinations", { plans: job.signed, bits });
        result = combinedResult([plan, second.plan], release, job.evaluation, job.epsilon);
      } else {
        result = ownerResult(plan, reply, job.evaluation, job.epsilon);
      }
    } catch (error) {
      throw await failOpen(jobId, job, error);
    }
    return finishOpen(jobId, job, result);
  }

  /** A page of a sum's answers: the operator's points raised by the owner (H(x)^ab), sorted. */
  async function answerPage(operatorId: string, jobId: string, index: number): Promise<PsiPage> {
    const job = await open.get(operatorId, jobId, true);
    const { plan, signature } = ownerPlan(job, 0);
    return relay(jobId, job, async () => {
      const reply = psiPageSchema.safeParse(
        await post(plan.task, "/psi/answer-pages", { jobId, signature, index }),
      ).data;
      if (!reply || reply.jobId !== jobId || reply.index !== index)
        throw rejected(plan.task.nodeId, "a page of answers");
      return reply;
    });
  }

  /** Has the owners' nodes drop the job's sessions; whether each confirmed it had one. */
  async function endSessions(signed: SignedPsiPlan[]): Promise<boolean[]> {
    return Promise.all(
      signed.map(async ({ plan: p, signature }) => {
        try {
          const reply = (await post(p.task, "/psi/cancellations", { jobId: p.jobId, signature })) as {
            ended?: unknown;
          };
          return reply?.ended === true;
        } catch (error) {
          // The node's session ends with its plan's expiry anyway; the job and the reservation are settled.
          deps.logger?.warn(
            { err: error, jobId: p.jobId, nodeId: p.task.nodeId },
            "an owner's node did not end its session",
          );
          return false;
        }
      }),
    );
  }

  /**
   * A sum's last step: which of the owner's shuffled entities matched (a bitmap) and the sum of the
   * operator's shares over them; the helper adds its share and the noise, and k applies.
   */
  async function releaseSum(operatorId: string, jobId: string, input: { matched: string; operatorPartial: string }) {
    const job = await open.claim(operatorId, jobId, true);
    const { plan, signature } = job.signed[0] as SignedPsiPlan;
    let result: Record<string, unknown>;
    try {
      const release = await helperRelease(plan, "/psi/sums", {
        plan,
        signature,
        seed: job.helperSeed,
        matched: input.matched,
      });
      const total =
        release.partial === null ? null : fromRing(addInRing(BigInt(input.operatorPartial), BigInt(release.partial)));
      result = sumResult(plan, total, release, job.evaluation, job.epsilon);
    } catch (error) {
      throw await failOpen(jobId, job, error);
    }
    await endSessions(job.signed);
    return finishOpen(jobId, job, result);
  }

  /**
   * The operator gives up an open job (its SDK failed, or it was interrupted): the job fails and
   * gives its reservation back at once, and the owners' nodes drop their sessions and exponents.
   */
  async function cancel(operatorId: string, jobId: string) {
    const job = await open.take(operatorId, jobId, false).catch(async (error: unknown) => {
      // A sum waiting for its release may be given up too.
      if ((error as { code?: string }).code !== "conflict") throw error;
      return open.take(operatorId, jobId, true);
    });
    const reason = job.released ? "cancelled by the operator after results were released" : "cancelled by the operator";
    await endRunningJob(deps, jobId, reason);
    const ended = await endSessions(job.signed);
    // A job the sweep or its window already ended keeps that ending.
    const [row] = await deps.db
      .select({ status: jobs.status, error: jobs.error, recordId: usageRecords.id })
      .from(jobs)
      .leftJoin(usageRecords, eq(usageRecords.jobId, jobs.id))
      .where(eq(jobs.id, jobId));
    const ownerSessionEnded = ended.every(Boolean);
    if (row?.status === "succeeded" && row.recordId) {
      return { jobId, status: "succeeded" as const, charged: true, usageRecordId: row.recordId, ownerSessionEnded };
    }
    return { jobId, status: "failed" as const, error: row?.error ?? reason, ownerSessionEnded };
  }

  return { start, page, operatorPoints, raisedPoints, answer, answerPage, releaseSum, cancel };
}
