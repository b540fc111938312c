import type { KeyObject } from "node:crypto";
import { SluiceError } from "../../lib/errors.js";
import { sampleDiscreteLaplace } from "../dp/discrete-laplace.js";
import type { OwnerTask } from "../protocol.js";
import { membershipIn, newBlindingKey, POINT_BYTES, pointKeys } from "../psi/blind.js";
import { normaliseIdentifiers } from "../psi/identifiers.js";
import type { PsiPool } from "../psi/pool.js";
import {
  type PsiOwnerSet,
  type PsiPlan,
  type PsiResult,
  type psiAnswerRequestSchema,
  type psiStartSchema,
  signPsiOwnerSet,
  signPsiResult,
  verifyPsiPlan,
} from "../psi/protocol.js";
import { blindAll, reblindAll } from "../psi/psi-ca.js";
import { shufflePoints } from "../psi/shuffle.js";
import { type ApprovalCheckContext, outsideTerms } from "./approval-check.js";
import type { NodeDataStore } from "./datastore.js";
import { admitPlan } from "./plan-gate.js";

export interface PsiResponderOptions {
  nodeId: string;
  privateKey: KeyObject;
  publicKey: string;
  gatewayPublicKey: string;
  store: NodeDataStore;
  pool: () => PsiPool;
  approval: Omit<ApprovalCheckContext, "now">;
  now: () => Date;
}

interface Session {
  plan: PsiPlan;
  signature: string;
  key: Buffer;
  timer: NodeJS.Timeout;
}

function decodePoints(text: string, what: string): Buffer {
  const points = Buffer.from(text, "base64");
  if (points.length % POINT_BYTES !== 0) {
    throw new SluiceError("psi_point_invalid", `${what} are ${points.length} bytes, not a multiple of ${POINT_BYTES}`);
  }
  return points;
}

/**
 * The owner's side of a PSI job, in two rounds: the start sends the owner's identifiers hashed and
 * raised to a fresh exponent b, shuffled; the answer raises the operator's points to b and either
 * counts the intersection (releasing it with discrete Laplace noise and withholding it below k) or
 * returns the raised points in order for membership. The exponent lives only in the session, which
 * ends with the answer, its plan's expiry, a failure, or the gateway's cancellation.
 */
export function createPsiResponder(options: PsiResponderOptions) {
  const sessions = new Map<string, Session>();
  const end = (jobId: string) => {
    const session = sessions.get(jobId);
    if (session) clearTimeout(session.timer);
    sessions.delete(jobId);
  };

  function check(plan: PsiPlan, signature: string): OwnerTask {
    const task = admitPlan(verifyPsiPlan(plan, signature, options.gatewayPublicKey), plan, {
      ...options,
      now: options.now(),
    });
    const refusal = outsideTerms(
      {
        terms: plan.terms,
        scenarioId: plan.scenarioId,
        computeMode: "psi",
        shape: plan.output === "size" ? "psi-size" : "psi-membership",
        datasetId: task.datasetId,
        fieldsRead: [plan.idField],
        minGroupSize: plan.output === "size" ? plan.minGroupSize : null,
        epsilonMicro: plan.epsilonMicro,
      },
      task.approval,
      { ...options.approval, now: options.now() },
    );
    if (refusal) throw new SluiceError("plan_not_approved", `this node's owner did not approve this plan: ${refusal}`);
    return task;
  }

  async function start(request: { plan: PsiPlan; signature: string }): Promise<PsiOwnerSet> {
    const { plan, signature } = request as ReturnType<typeof psiStartSchema.parse>;
    const task = check(plan, signature);
    if (sessions.has(plan.jobId)) throw new SluiceError("conflict", `PSI job ${plan.jobId} has already started`);
    const normalised = normaliseIdentifiers(options.store.strings(task.datasetId, plan.idField), plan.idKind);
    const key = newBlindingKey();
    const timer = setTimeout(() => end(plan.jobId), Math.max(0, Date.parse(plan.expiresAt) - options.now().getTime()));
    timer.unref();
    sessions.set(plan.jobId, { plan, signature, key, timer });
    try {
      const points = shufflePoints(await blindAll(normalised.identifiers, key, options.pool()));
      return signPsiOwnerSet(
        {
          jobId: plan.jobId,
          nodeId: options.nodeId,
          points: points.toString("base64"),
          count: normalised.identifiers.length,
          invalid: normalised.invalid.length,
        },
        options.privateKey,
      );
    } catch (error) {
      end(plan.jobId);
      throw error;
    }
  }

  async function answer(request: ReturnType<typeof psiAnswerRequestSchema.parse>): Promise<PsiResult> {
    const session = sessions.get(request.jobId);
    if (!session || session.signature !== request.signature) {
      throw new SluiceError("not_found", `no PSI session ${request.jobId} here (never started, answered, or expired)`);
    }
    const { plan, key } = session;
    try {
      check(plan, session.signature);
      const raised = await reblindAll(
        decodePoints(request.operatorPoints, "the operator's points"),
        key,
        options.pool(),
      );
      if (plan.output === "membership") {
        return signPsiResult(
          {
            jobId: plan.jobId,
            nodeId: options.nodeId,
            output: "membership",
            size: null,
            suppressed: false,
            answers: raised.toString("base64"),
          },
          options.privateKey,
        );
      }
      if (!request.ownerPointsRaised) {
        throw new SluiceError("validation_failed", "the size needs the owner's points raised by the operator");
      }
      const theirs = decodePoints(request.ownerPointsRaised, "the owner's points raised");
      // Distinct points only: an operator that sent one x many times would otherwise multiply its
      // membership past the noise, which is calibrated to one entity changing the count by one.
      const inSet = membershipIn(raised, theirs);
      const count = new Set(pointKeys(raised).filter((_, i) => inSet[i])).size;
      const noise = plan.epsilonMicro > 0 ? Number(sampleDiscreteLaplace(1_000_000n, BigInt(plan.epsilonMicro))) : 0;
      const noisy = count + noise;
      const suppressed = noisy < plan.minGroupSize;
      return signPsiResult(
        {
          jobId: plan.jobId,
          nodeId: options.nodeId,
          output: "size",
          size: suppressed ? null : noisy,
          suppressed,
        },
        options.privateKey,
      );
    } finally {
      end(plan.jobId);
    }
  }

  /** Ends a session before its answer (the operator cancelled); its exponent is dropped. Returns whether one was open. */
  function cancel(request: { jobId: string; signature: string }): boolean {
    const session = sessions.get(request.jobId);
    if (!session || session.signature !== request.signature) return false;
    end(request.jobId);
    return true;
  }

  return { start, answer, cancel, sessions: () => sessions.size };
}
