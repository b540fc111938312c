import type { KeyObject } from "node:crypto";
import { SluiceError } from "../../lib/errors.js";
import { sampleDiscreteLaplace } from "../dp/discrete-laplace.js";
import { encodeVector, splitVector } from "../mpc/ring.js";
import type { OwnerTask } from "../protocol.js";
import { membershipIn, newBlindingKey, POINT_BYTES, pointKeys } from "../psi/blind.js";
import { sealForHelper } from "../psi/helper-input.js";
import { encodeBitmap } from "../psi/helper-protocol.js";
import { normaliseIdentifiers, totalsByIdentifier } from "../psi/identifiers.js";
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
import { shufflePoints, shuffleRows } from "../psi/shuffle.js";
import { type ApprovalCheckContext, outsideTerms } from "./approval-check.js";
import { type NodeDataStore, scaleOf } from "./datastore.js";
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

const SHAPES = { size: "psi-size", membership: "psi-membership", sum: "psi-sum" } as const;

/** Which of the operator's points are in the owner's set, each distinct point counted at its first position only. */
function firstMembers(raised: Buffer, theirs: Buffer): boolean[] {
  const inSet = membershipIn(raised, theirs);
  const seen = new Set<string>();
  return pointKeys(raised).map((key, i) => {
    if (!inSet[i] || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * The owner's side of a PSI job, in two rounds: the start sends the owner's identifiers hashed and
 * raised to a fresh exponent b, shuffled (for a sum, each beside the operator's share of its
 * clamped total, the helper's shares sealed to the helper); the answer raises the operator's points
 * to b and either counts the intersection (releasing it with discrete Laplace noise and withholding
 * it below k), seals its membership bits to the helper (two owners), or returns the raised points:
 * in order for membership, shuffled for a sum. The exponent lives only in the session, which ends
 * with the answer, its plan's expiry, a failure, or the gateway's cancellation.
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
        shape: SHAPES[plan.output],
        datasetId: task.datasetId,
        fieldsRead: plan.sum ? [plan.idField, plan.sum.valueField] : [plan.idField],
        minGroupSize: plan.output === "membership" ? null : plan.minGroupSize,
        epsilonMicro: plan.epsilonMicro,
      },
      task.approval,
      { ...options.approval, now: options.now() },
    );
    if (refusal) throw new SluiceError("plan_not_approved", `this node's owner did not approve this plan: ${refusal}`);
    if (plan.combine && !plan.combine.owners.includes(options.nodeId)) {
      throw new SluiceError("forbidden", "a two-owner plan that does not name this node among its owners");
    }
    if (plan.sum) {
      const type = options.store.describe(task.datasetId)?.columns.find((c) => c.name === plan.sum?.valueField)?.type;
      if (type !== "integer" && type !== "decimal") {
        throw new SluiceError(
          "not_executable",
          `${task.datasetId}.${plan.sum.valueField} is not a numeric column here`,
        );
      }
      if (scaleOf(type) !== plan.sum.valueScale) {
        throw new SluiceError(
          "validation_failed",
          `the plan's fixed point does not match ${plan.sum.valueField}'s type here`,
        );
      }
    }
    return task;
  }

  /** The owner's identifiers blinded and shuffled; for a sum, the two shares of each total beside them. */
  async function ownSet(plan: PsiPlan, task: OwnerTask, key: Buffer) {
    const ids = options.store.strings(task.datasetId, plan.idField);
    if (!plan.sum || !plan.helper) {
      const normalised = normaliseIdentifiers(ids, plan.idKind);
      const points = shufflePoints(await blindAll(normalised.identifiers, key, options.pool()));
      return { normalised, points, shares: {} };
    }
    const normalised = totalsByIdentifier(
      ids,
      options.store.numbers(task.datasetId, plan.sum.valueField),
      plan.idKind,
      plan.sum,
    );
    const points = await blindAll(normalised.identifiers, key, options.pool());
    const [operatorShares, helperShares] = splitVector(normalised.totals, 2).map(encodeVector) as [Buffer, Buffer];
    shuffleRows([
      { bytes: points, width: POINT_BYTES },
      { bytes: operatorShares, width: 16 },
      { bytes: helperShares, width: 16 },
    ]);
    const count = normalised.identifiers.length;
    const route = { jobId: plan.jobId, from: options.nodeId, to: plan.helper.nodeId };
    return {
      normalised,
      points,
      shares: {
        operatorShares: operatorShares.toString("base64"),
        helperShares: sealForHelper(
          "sum-shares",
          route,
          plan.helper.encryptionKey,
          count,
          helperShares,
          options.privateKey,
        ),
      },
    };
  }

  async function start(request: { plan: PsiPlan; signature: string }): Promise<PsiOwnerSet> {
    const { plan, signature } = request as ReturnType<typeof psiStartSchema.parse>;
    const task = check(plan, signature);
    if (sessions.has(plan.jobId)) throw new SluiceError("conflict", `PSI job ${plan.jobId} has already started`);
    const key = newBlindingKey();
    const timer = setTimeout(() => end(plan.jobId), Math.max(0, Date.parse(plan.expiresAt) - options.now().getTime()));
    timer.unref();
    sessions.set(plan.jobId, { plan, signature, key, timer });
    try {
      const { normalised, points, shares } = await ownSet(plan, task, key);
      return signPsiOwnerSet(
        {
          jobId: plan.jobId,
          nodeId: options.nodeId,
          points: points.toString("base64"),
          count: normalised.identifiers.length,
          invalid: normalised.invalid.length,
          ...shares,
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
      if (plan.output === "sum") {
        return signPsiResult(
          {
            jobId: plan.jobId,
            nodeId: options.nodeId,
            output: "sum",
            size: null,
            suppressed: false,
            answers: shufflePoints(raised).toString("base64"),
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
      const members = firstMembers(raised, theirs);
      if (plan.combine && plan.helper) {
        const route = { jobId: plan.jobId, from: options.nodeId, to: plan.helper.nodeId };
        return signPsiResult(
          {
            jobId: plan.jobId,
            nodeId: options.nodeId,
            output: "size",
            size: null,
            suppressed: false,
            helperBits: sealForHelper(
              "membership-bits",
              route,
              plan.helper.encryptionKey,
              members.length,
              encodeBitmap(members),
              options.privateKey,
            ),
          },
          options.privateKey,
        );
      }
      const count = members.filter(Boolean).length;
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
