import type { KeyObject } from "node:crypto";
import { canonicalize } from "../../lib/canonical-json.js";
import { SluiceError } from "../../lib/errors.js";
import { sampleDiscreteLaplace } from "../dp/discrete-laplace.js";
import type { EncryptionKeys } from "../mpc/channel.js";
import { addInRing } from "../mpc/ring.js";
import { type HelperInputKind, openHelperInput } from "../psi/helper-input.js";
import {
  bitAt,
  decodeBitmap,
  type PsiCombineRelease,
  type PsiHelperRelease,
  type PsiSumRelease,
  signPsiHelperRelease,
} from "../psi/helper-protocol.js";
import { PSI_CHUNK_ITEMS } from "../psi/limits.js";
import { type PsiPlan, verifyPsiPlan } from "../psi/protocol.js";
import { helperShares } from "../psi/sum-shares.js";
import type { PeerPins } from "./peers.js";

export interface PsiHelperOptions {
  nodeId: string;
  publicKey: string;
  privateKey: KeyObject;
  encryption: EncryptionKeys;
  gatewayPublicKey: string;
  /** The owners' nodes as this helper's owner pinned them: sealed inputs are opened only from these. */
  pins: PeerPins;
  now: () => Date;
}

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, b) => {
  let n = 0;
  for (let v = b; v; v >>= 1) n += v & 1;
  return n;
});

/** Discrete Laplace noise of scale sensitivity/ε, or none when the plan's ε is 0. */
const noiseFor = (plan: PsiPlan, sensitivity: number) =>
  plan.epsilonMicro > 0 ? sampleDiscreteLaplace(BigInt(sensitivity) * 1_000_000n, BigInt(plan.epsilonMicro)) : 0n;

/**
 * The helper's side of PSI-sum and of the two-owner size. It holds no data: it opens what the owners
 * sealed to it, releases one noisy number per job (k applied), and signs it. It releases a job
 * once, so a replayed request cannot average the noise away.
 */
export function createPsiHelper(options: PsiHelperOptions) {
  const released = new Map<string, number>();

  function admit(plan: PsiPlan, signature: string) {
    if (!verifyPsiPlan(plan, signature, options.gatewayPublicKey)) {
      throw new SluiceError("unauthenticated", "the plan is not signed by the gateway this node trusts");
    }
    if (Date.parse(plan.expiresAt) <= options.now().getTime()) {
      throw new SluiceError("plan_expired", `the plan expired at ${plan.expiresAt}`);
    }
    const helper = plan.helper;
    if (
      !helper ||
      helper.nodeId !== options.nodeId ||
      helper.publicKey !== options.publicKey ||
      helper.encryptionKey !== options.encryption.publicKey
    ) {
      throw new SluiceError("forbidden", `this plan does not name node ${options.nodeId} as its helper`);
    }
  }

  function releaseOnce(plan: PsiPlan) {
    const now = options.now().getTime();
    for (const [jobId, expiry] of released) if (expiry <= now) released.delete(jobId);
    if (released.has(plan.jobId)) throw new SluiceError("conflict", `job ${plan.jobId} was already released`);
    released.set(plan.jobId, Date.parse(plan.expiresAt));
  }

  const input = (plan: PsiPlan, sealed: PsiSumRelease["seed"], kind: HelperInputKind) =>
    openHelperInput(
      sealed,
      kind,
      { jobId: plan.jobId, from: plan.task.nodeId, to: options.nodeId },
      options.pins.pinned(plan.task, "owner").publicKey,
      options.encryption,
    );

  const bitmap = (text: string, count: number) => {
    try {
      return decodeBitmap(text, count);
    } catch (error) {
      throw new SluiceError("psi_bitmap_invalid", (error as Error).message);
    }
  };

  function sign(body: Omit<PsiHelperRelease, "signature" | "nodeId">): PsiHelperRelease {
    return signPsiHelperRelease({ ...body, nodeId: options.nodeId }, options.privateKey);
  }

  /** PSI-sum: its share of the totals over the matched entities, plus noise; withheld when fewer than k matched. */
  function sum(request: PsiSumRelease): PsiHelperRelease {
    const { plan } = request;
    admit(plan, request.signature);
    if (!plan.sum) throw new SluiceError("validation_failed", "this plan is not a sum");
    const seed = input(plan, request.seed, "sum-seed");
    const entities = request.seed.count;
    const matched = bitmap(request.matched, entities);
    releaseOnce(plan);
    let total = 0n;
    let count = 0;
    for (let from = 0; from < entities; from += PSI_CHUNK_ITEMS) {
      const shares = helperShares(seed, from, Math.min(PSI_CHUNK_ITEMS, entities - from));
      shares.forEach((share, i) => {
        if (!bitAt(matched, from + i)) return;
        total += share;
        count++;
      });
    }
    const suppressed = count < plan.minGroupSize;
    const sensitivity = Math.max(Math.abs(plan.sum.min), Math.abs(plan.sum.max));
    return sign({
      jobId: plan.jobId,
      kind: "sum",
      matched: count,
      size: null,
      partial: suppressed ? null : addInRing(total, noiseFor(plan, sensitivity)).toString(),
      suppressed,
    });
  }

  /** Two owners: the noisy count of operator points in both (intersection) or either (union); null below k. */
  function combine(request: PsiCombineRelease): PsiHelperRelease {
    const [first, second] = request.plans;
    for (const { plan, signature } of request.plans) admit(plan, signature);
    const plan = first.plan;
    const { combine: how } = plan;
    if (!how || canonicalize(pick(plan, ONE_JOB)) !== canonicalize(pick(second.plan, ONE_JOB))) {
      throw new SluiceError("validation_failed", "the two plans are not one two-owner job");
    }
    if (first.plan.task.nodeId !== how.owners[0] || second.plan.task.nodeId !== how.owners[1]) {
      throw new SluiceError("validation_failed", "the plans are not the owners the job names, in its order");
    }
    const [a, b] = request.plans.map(({ plan: p }, i) => input(p, request.bits[i as 0 | 1], "membership-bits"));
    if (!a || !b || request.bits[0].count !== request.bits[1].count) {
      throw new SluiceError("validation_failed", "the owners' bits cover different numbers of the operator's points");
    }
    releaseOnce(plan);
    let count = 0;
    for (let i = 0; i < a.length; i++) {
      count += POPCOUNT[
        how.op === "intersection" ? (a[i] as number) & (b[i] as number) : (a[i] as number) | (b[i] as number)
      ] as number;
    }
    const noisy = count + Number(noiseFor(plan, 1));
    const suppressed = noisy < plan.minGroupSize;
    return sign({
      jobId: plan.jobId,
      kind: "combined",
      matched: null,
      size: suppressed ? null : noisy,
      partial: null,
      suppressed,
    });
  }

  return { sum, combine };
}

/** What both owners' plans of one two-owner job must agree on. */
const ONE_JOB = [
  "jobId",
  "combine",
  "helper",
  "epsilonMicro",
  "minGroupSize",
  "expiresAt",
  "scenarioId",
  "decisionHash",
];

const pick = (plan: PsiPlan, keys: string[]) =>
  Object.fromEntries(keys.map((key) => [key, (plan as Record<string, unknown>)[key]]));
