import type { KeyObject } from "node:crypto";
import { SluiceError } from "../../lib/errors.js";
import { sampleDiscreteLaplace } from "../dp/discrete-laplace.js";
import { seal } from "../mpc/channel.js";
import { sealForHelper } from "../psi/helper-input.js";
import { MAX_PSI_ITEMS, PSI_CHUNK_ITEMS } from "../psi/limits.js";
import type { PsiPool } from "../psi/pool.js";
import {
  operatorSharesContext,
  type PsiChunkReceipt,
  type PsiOwnerSet,
  type PsiPage,
  type PsiPlan,
  type PsiResult,
  type psiAnswerRequestSchema,
  signPsiOwnerSet,
  signPsiResult,
} from "../psi/protocol.js";
import type { ApprovalCheckContext } from "./approval-check.js";
import type { NodeDataStore } from "./datastore.js";
import type { PeerPins } from "./peers.js";
import { checkPsiPlan } from "./psi-plan-check.js";
import { OwnerPsiSession } from "./psi-session.js";
import type { SpendLedger } from "./spend-ledger.js";

export interface PsiResponderOptions {
  nodeId: string;
  privateKey: KeyObject;
  publicKey: string;
  gatewayPublicKey: string;
  store: NodeDataStore;
  pool: () => PsiPool;
  approval: Omit<ApprovalCheckContext, "now">;
  /** The helper is reached only as its owner pinned it: anything sealed to it goes to the pinned key. */
  pins: PeerPins;
  /** The scenario's queries and ε at this node, against what its owner signed. */
  spend: SpendLedger;
  now: () => Date;
}

/** A request about an open session: the plan's signature, which only the gateway holds, names it. */
interface SessionRequest {
  jobId: string;
  signature: string;
}

/**
 * The owner's side of a PSI job. The start admits the plan and opens a session (psi-session.ts);
 * the gateway then fetches the owner's set a page at a time and relays the operator's chunks; the
 * answer compares and releases: the size with discrete Laplace noise, withheld below k; for two
 * owners, the membership bits sealed to the helper; for a sum, the operator's points raised, sorted,
 * in pages. A session ends with its answer (a sum's with its last page), its plan's expiry, a
 * failure, or the gateway's cancellation, and takes its exponent and files with it.
 */
export function createPsiResponder(options: PsiResponderOptions) {
  const sessions = new Map<string, { session: OwnerPsiSession; timer: NodeJS.Timeout }>();
  const end = (jobId: string) => {
    const open = sessions.get(jobId);
    if (!open) return;
    clearTimeout(open.timer);
    open.session.end();
    sessions.delete(jobId);
  };

  function sessionOf(request: SessionRequest): OwnerPsiSession {
    const session = sessions.get(request.jobId)?.session;
    if (!session || session.signature !== request.signature) {
      throw new SluiceError("not_found", `no PSI session ${request.jobId} here (never started, finished, or expired)`);
    }
    return session;
  }

  /** Runs a step of a session; a step that fails ends the session, so nothing is left behind. */
  async function step<T>(request: SessionRequest, work: (session: OwnerPsiSession) => T | Promise<T>): Promise<T> {
    const session = sessionOf(request);
    try {
      return await work(session);
    } catch (error) {
      if ((error as { code?: string }).code !== "psi_chunk_repeated") end(request.jobId);
      throw error;
    }
  }

  const opening = new Set<string>();

  async function start(request: { plan: PsiPlan; signature: string }): Promise<PsiOwnerSet> {
    const { plan, signature } = request;
    const task = checkPsiPlan(plan, signature, options);
    // A gateway naming a helper of its own (or the helper with its own key) gets no seed or bits sealed to it.
    const helper = plan.helper ? options.pins.pinned(plan.helper, "helper") : undefined;
    if (sessions.has(plan.jobId) || opening.has(plan.jobId)) {
      throw new SluiceError("conflict", `PSI job ${plan.jobId} has already started`);
    }
    options.spend.take(plan.terms, { jobId: plan.jobId, epsilonMicro: plan.epsilonMicro });
    opening.add(plan.jobId);
    const session = await OwnerPsiSession.open(plan, signature, task.datasetId, options.store, options.pool).finally(
      () => opening.delete(plan.jobId),
    );
    if (session.count > MAX_PSI_ITEMS) {
      session.end();
      throw new SluiceError(
        "validation_failed",
        `dataset ${task.datasetId} holds ${session.count} distinct identifiers in ${plan.idField}, more than the ${MAX_PSI_ITEMS} one side of a PSI may bring`,
      );
    }
    const timer = setTimeout(() => end(plan.jobId), Math.max(0, Date.parse(plan.expiresAt) - options.now().getTime()));
    timer.unref();
    sessions.set(plan.jobId, { session, timer });
    const seed = session.helperSeed();
    return signPsiOwnerSet(
      {
        jobId: plan.jobId,
        nodeId: options.nodeId,
        count: session.count,
        invalid: session.invalid,
        chunkSize: PSI_CHUNK_ITEMS,
        ...(seed && helper
          ? {
              helperSeed: sealForHelper(
                "sum-seed",
                { jobId: plan.jobId, from: options.nodeId, to: helper.nodeId },
                helper.encryptionKey,
                session.count,
                seed,
                options.privateKey,
              ),
            }
          : {}),
      },
      options.privateKey,
    );
  }

  const page = (request: SessionRequest & { index: number }): Promise<PsiPage> =>
    step(request, async (session) => {
      const { points, operatorShares } = await session.page(request.index);
      return {
        jobId: request.jobId,
        index: request.index,
        points: points.toString("base64"),
        ...(operatorShares && session.plan.sum
          ? {
              operatorShares: seal(
                operatorShares,
                session.plan.sum.operatorKey,
                operatorSharesContext(request.jobId, request.index),
              ),
            }
          : {}),
      };
    });

  const operatorPoints = (request: SessionRequest & { index: number; points: string }): Promise<PsiChunkReceipt> =>
    step(request, async (session) => {
      const { count, answers } = await session.operatorPoints(request.index, request.points);
      return {
        jobId: request.jobId,
        index: request.index,
        count,
        ...(answers ? { answers: answers.toString("base64") } : {}),
      };
    });

  const raisedPoints = (request: SessionRequest & { index: number; points: string }): Promise<PsiChunkReceipt> =>
    step(request, (session) => ({
      jobId: request.jobId,
      index: request.index,
      ...session.raisedPoints(request.index, request.points),
    }));

  function result(plan: PsiPlan, body: Omit<PsiResult, "signature" | "jobId" | "nodeId" | "output">): PsiResult {
    return signPsiResult(
      { jobId: plan.jobId, nodeId: options.nodeId, output: plan.output, ...body },
      options.privateKey,
    );
  }

  const answer = (request: ReturnType<typeof psiAnswerRequestSchema.parse>): Promise<PsiResult> =>
    step(request, (session) => {
      const { plan } = session;
      checkPsiPlan(plan, session.signature, options);
      session.uploadsComplete(request.operatorChunks, request.operatorCount);
      if (plan.output === "sum") {
        return result(plan, { size: null, suppressed: false, answerChunks: session.writeAnswers() });
      }
      try {
        if (plan.output === "membership") return result(plan, { size: null, suppressed: false });
        if (plan.combine && plan.helper) {
          const helper = options.pins.pinned(plan.helper, "helper");
          const bits = session.membershipBits(request.operatorCount);
          const helperBits = sealForHelper(
            "membership-bits",
            { jobId: plan.jobId, from: options.nodeId, to: helper.nodeId },
            helper.encryptionKey,
            request.operatorCount,
            bits,
            options.privateKey,
          );
          return result(plan, { size: null, suppressed: false, helperBits });
        }
        // Distinct points only: an operator that sent one x many times would otherwise multiply its
        // membership past the noise, which is calibrated to one entity changing the count by one.
        const count = session.intersectionSize();
        const noise = plan.epsilonMicro > 0 ? Number(sampleDiscreteLaplace(1_000_000n, BigInt(plan.epsilonMicro))) : 0;
        const noisy = count + noise;
        const suppressed = noisy < plan.minGroupSize;
        return result(plan, { size: suppressed ? null : noisy, suppressed });
      } finally {
        end(plan.jobId);
      }
    });

  const answerPage = (request: SessionRequest & { index: number }): Promise<PsiPage> =>
    step(request, (session) => {
      const { points, last } = session.answerPage(request.index);
      if (last) end(request.jobId);
      return { jobId: request.jobId, index: request.index, points: points.toString("base64") };
    });

  /** Ends a session before its answer (the operator cancelled); its exponent and files go. Returns whether one was open. */
  function cancel(request: SessionRequest): boolean {
    const open = sessions.get(request.jobId);
    if (!open || open.session.signature !== request.signature) return false;
    end(request.jobId);
    return true;
  }

  return { start, page, operatorPoints, raisedPoints, answer, answerPage, cancel, sessions: () => sessions.size };
}
