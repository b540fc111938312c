import { type ScenarioTerms, verifyApproval, verifyRule } from "../../lib/approvals.js";
import type { ComputeMode, QueryShape } from "../../lib/vocabulary.js";
import type { ApprovalProof, OwnerTask, QueryPlan } from "../protocol.js";
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

/** What a plan asks of one owner's dataset, whatever the protocol. */
export interface ApprovalQuestion {
  terms: ScenarioTerms;
  scenarioId: string;
  computeMode: ComputeMode;
  shape: QueryShape;
  datasetId: string;
  /** Every field of the dataset the task reads, unqualified. */
  fieldsRead: string[];
  /** The plan's k; null where no group is released (scoring). */
  minGroupSize: number | null;
  epsilonMicro: number;
}

/**
 * Why this node must refuse its task, or null when the owner approved exactly this: a compromised
 * gateway cannot make the node compute outside a scenario its owner signed (or its signed rule covers).
 */
export function outsideApproval(plan: QueryPlan, task: OwnerTask, ctx: ApprovalCheckContext): string | null {
  return outsideTerms(
    {
      terms: plan.terms,
      scenarioId: plan.scenarioId,
      computeMode: plan.computeMode,
      shape: plan.query.aggregate,
      datasetId: task.datasetId,
      fieldsRead: [task.field, ...fieldsReadBy(plan.query)],
      minGroupSize: plan.minGroupSize,
      epsilonMicro: plan.epsilonMicro,
    },
    task.approval,
    ctx,
  );
}

/** The same check for any protocol: the question against the terms, and the owner's proof of them. */
export function outsideTerms(
  question: ApprovalQuestion,
  approval: ApprovalProof,
  ctx: ApprovalCheckContext,
): string | null {
  const { terms, datasetId } = question;
  if (approval.ownerId !== ctx.ownerId)
    return `the approval is ${approval.ownerId}'s, not this node's owner ${ctx.ownerId}'s`;
  if (terms.scenarioId !== question.scenarioId) return "the terms are for another scenario";
  for (const field of question.fieldsRead) {
    if (!terms.fields.includes(`${datasetId}.${field}`)) return `${datasetId}.${field} is not in the approved fields`;
  }
  if (!terms.computeModes.includes(question.computeMode) || !terms.queryShapes.includes(question.shape)) {
    return `the owner did not approve ${question.shape} by ${question.computeMode}`;
  }
  if (question.minGroupSize !== null && question.minGroupSize < terms.minGroupSize)
    return `k ${question.minGroupSize} is below the approved ${terms.minGroupSize}`;
  if (question.epsilonMicro > terms.epsilonPerQueryMicro) return "the plan's ε is above the approved ε per query";
  if (question.epsilonMicro === 0) {
    for (const field of question.fieldsRead) {
      const level = ctx.levelOf(datasetId, field);
      if (level !== undefined && level >= ctx.noiseFromLevel) {
        return `${datasetId}.${field} is level ${level}; this node releases it only with differential-privacy noise`;
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
