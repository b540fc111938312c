import { type ScenarioTerms, verifyApproval, verifyRule } from "../../lib/approvals.js";
import type { OwnerTask, QueryPlan } from "../protocol.js";
import { fieldsReadBy } from "../query/schema.js";

export interface ApprovalCheckContext {
  ownerId: string;
  /** The owner's keys this node trusts (more than one while a key is being rotated). */
  ownerPublicKeys: string[];
  /** The classification level of one of this node's fields, as its owner configured it. */
  levelOf(datasetId: string, field: string): number | undefined;
  /** Whether this node holds the dataset. */
  holds(datasetId: string): boolean;
  now: Date;
  /** Fields of this level or above leave the node only with noise (ε > 0), whatever the gateway says. */
  noiseFromLevel: number;
}

const within = (terms: ScenarioTerms, at: Date) =>
  Date.parse(terms.validFrom) <= at.getTime() && at.getTime() < Date.parse(terms.validUntil);

/**
 * Why this node must refuse its task, or null when the owner approved exactly this: a compromised
 * gateway cannot make the node compute outside a scenario its owner signed (or its signed rule covers).
 */
export function outsideApproval(plan: QueryPlan, task: OwnerTask, ctx: ApprovalCheckContext): string | null {
  const { terms } = plan;
  const { approval } = task;
  if (approval.ownerId !== ctx.ownerId)
    return `the approval is ${approval.ownerId}'s, not this node's owner ${ctx.ownerId}'s`;
  if (terms.scenarioId !== plan.scenarioId) return "the terms are for another scenario";
  for (const field of [task.field, ...fieldsReadBy(plan.query)]) {
    if (!terms.fields.includes(`${task.datasetId}.${field}`))
      return `${task.datasetId}.${field} is not in the approved fields`;
  }
  const aggregate = plan.query.aggregate;
  if (!terms.computeModes.includes(plan.computeMode) || !terms.queryShapes.includes(aggregate)) {
    return `the owner did not approve ${aggregate} by ${plan.computeMode}`;
  }
  if (plan.minGroupSize < terms.minGroupSize)
    return `k ${plan.minGroupSize} is below the approved ${terms.minGroupSize}`;
  if (plan.epsilonMicro > terms.epsilonPerQueryMicro) return "the plan's ε is above the approved ε per query";
  if (plan.epsilonMicro === 0) {
    for (const field of [task.field, ...fieldsReadBy(plan.query)]) {
      const level = ctx.levelOf(task.datasetId, field);
      if (level !== undefined && level >= ctx.noiseFromLevel) {
        return `${task.datasetId}.${field} is level ${level}; this node releases it only with differential-privacy noise`;
      }
    }
  }
  if (!within(terms, ctx.now)) return `the scenario is valid from ${terms.validFrom} until ${terms.validUntil}`;

  if (approval.kind === "signed") {
    const genuine = ctx.ownerPublicKeys.some((key) => verifyApproval(ctx.ownerId, terms, approval.signature, key));
    return genuine ? null : "the owner's signature over these terms does not verify";
  }
  const { rule } = approval;
  if (rule.ownerId !== ctx.ownerId || !ctx.ownerPublicKeys.some((key) => verifyRule(rule, approval.signature, key))) {
    return "the auto-approval rule is not signed by this node's owner";
  }
  if (rule.operatorIds !== null && !rule.operatorIds.includes(terms.operatorId))
    return `the rule does not list operator ${terms.operatorId}`;
  if (terms.computeModes.some((m) => !rule.computeModes.includes(m)))
    return "the terms ask compute modes the rule does not allow";
  if (terms.queryShapes.some((s) => !rule.queryShapes.includes(s)))
    return "the terms ask query shapes the rule does not allow";
  if (terms.minGroupSize < rule.minGroupSize) return `k ${terms.minGroupSize} is below the rule's ${rule.minGroupSize}`;
  if (terms.epsilonPerQueryMicro > rule.maxEpsilonPerQueryMicro) return "ε per query is above the rule's limit";
  for (const qualified of terms.fields) {
    const dot = qualified.indexOf(".");
    const datasetId = qualified.slice(0, dot);
    if (!ctx.holds(datasetId)) continue;
    const level = ctx.levelOf(datasetId, qualified.slice(dot + 1));
    if (level === undefined)
      return `this node has no classification level for ${qualified}, so it cannot apply the rule`;
    if (level > rule.maxLevel) return `${qualified} is level ${level}, above the rule's ${rule.maxLevel}`;
  }
  return null;
}
