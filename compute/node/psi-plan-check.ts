import { SluiceError } from "../../lib/errors.js";
import type { OwnerTask } from "../protocol.js";
import { type PsiPlan, verifyPsiPlan } from "../psi/protocol.js";
import { type ApprovalCheckContext, outsideTerms } from "./approval-check.js";
import { type NodeDataStore, scaleOf } from "./datastore.js";
import { admitPlan } from "./plan-gate.js";

const SHAPES = { size: "psi-size", membership: "psi-membership", sum: "psi-sum" } as const;

export interface PsiPlanContext {
  nodeId: string;
  publicKey: string;
  gatewayPublicKey: string;
  store: NodeDataStore;
  approval: Omit<ApprovalCheckContext, "now">;
  now: () => Date;
}

/**
 * Admits a PSI plan at an owner's node, or says why not: signed by the gateway, not expired, for
 * this node, inside what its owner signed (the id field, and a sum's value field, at their levels),
 * naming this node among a two-owner job's owners, and a sum's fixed point matching its column.
 */
export function checkPsiPlan(plan: PsiPlan, signature: string, context: PsiPlanContext): OwnerTask {
  const now = context.now();
  const task = admitPlan(verifyPsiPlan(plan, signature, context.gatewayPublicKey), plan, { ...context, now });
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
    { ...context.approval, now },
  );
  if (refusal) throw new SluiceError("plan_not_approved", `this node's owner did not approve this plan: ${refusal}`);
  if (plan.combine && !plan.combine.owners.includes(context.nodeId)) {
    throw new SluiceError("forbidden", "a two-owner plan that does not name this node among its owners");
  }
  if (plan.sum) {
    const field = plan.sum.valueField;
    const type = context.store.describe(task.datasetId)?.columns.find((c) => c.name === field)?.type;
    if (type !== "integer" && type !== "decimal") {
      throw new SluiceError("not_executable", `${task.datasetId}.${field} is not a numeric column here`);
    }
    if (scaleOf(type) !== plan.sum.valueScale) {
      throw new SluiceError("validation_failed", `the plan's fixed point does not match ${field}'s type here`);
    }
  }
  return task;
}
