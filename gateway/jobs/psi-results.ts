import type { PsiHelperRelease } from "../../compute/psi/helper-protocol.js";
import type { PsiPlan, PsiResult } from "../../compute/psi/protocol.js";
import type { Evaluation } from "./evaluate.js";

// The result a PSI job records and returns, by output. Noise is stated in the result's own unit.

type Allowed = Extract<Evaluation["decision"], { effect: "allow" }>;

const noiseOf = (plan: PsiPlan, epsilon: number, sensitivity: number) =>
  plan.epsilonMicro > 0
    ? { mechanism: "discrete-laplace", epsilon, scale: (sensitivity * 1_000_000) / plan.epsilonMicro }
    : { mechanism: "none" };

const common = (plan: PsiPlan, evaluation: Evaluation) => ({
  idField: plan.idField,
  minGroupSize: plan.minGroupSize,
  classification: (evaluation.decision as Allowed).obligations.resultClassification,
});

const datasetOf = (plan: PsiPlan) => (plan.task as { datasetId: string }).datasetId;

/** One owner's size (noisy, k-checked by the owner), or membership (which the operator works out itself). */
export function ownerResult(plan: PsiPlan, reply: PsiResult, evaluation: Evaluation, epsilon: number) {
  return {
    queryShape: plan.output === "size" ? "psi-size" : "psi-membership",
    datasetId: datasetOf(plan),
    ...common(plan, evaluation),
    size: reply.size,
    suppressed: reply.suppressed,
    noise: plan.output === "size" ? noiseOf(plan, epsilon, 1) : { mechanism: "none" },
  };
}

/** Two owners' combined size, released noisy and k-checked by the helper. */
export function combinedResult(plans: PsiPlan[], reply: PsiHelperRelease, evaluation: Evaluation, epsilon: number) {
  const [plan] = plans as [PsiPlan];
  return {
    queryShape: "psi-size",
    datasetId: datasetOf(plan),
    ...common(plan, evaluation),
    combine: {
      op: plan.combine?.op,
      datasets: plans.map((p) => ({ datasetId: datasetOf(p), idField: p.idField })),
    },
    size: reply.size,
    suppressed: reply.suppressed,
    noise: noiseOf(plan, epsilon, 1),
  };
}

/**
 * A PSI-sum: the operator's share of the matched totals plus the helper's noisy share, in the
 * field's unit; the exact number of matched entities, which the operator learns by matching.
 */
export function sumResult(
  plan: PsiPlan,
  total: bigint | null,
  reply: PsiHelperRelease,
  evaluation: Evaluation,
  epsilon: number,
) {
  const sum = plan.sum as NonNullable<PsiPlan["sum"]>;
  const scale = sum.valueScale;
  return {
    queryShape: "psi-sum",
    datasetId: datasetOf(plan),
    ...common(plan, evaluation),
    valueField: sum.valueField,
    size: reply.matched,
    sum: total === null ? null : Number(total) / scale,
    suppressed: reply.suppressed,
    bounds: { min: sum.min / scale, max: sum.max / scale },
    noise: noiseOf(plan, epsilon, Math.max(Math.abs(sum.min), Math.abs(sum.max)) / scale),
  };
}
