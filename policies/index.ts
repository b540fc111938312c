/**
 * The authorisation engine: pure functions, no I/O.
 *
 * @example
 * const decision = decide(request, { operator, grants, scenario, datasets, rules: defaultRulesFingerprint });
 * if (decision.effect === "deny") console.log(decision.tier, decision.rule, decision.reason.zh);
 */
export { type AutoApprovalRule, autoApprovalMismatch, type ScenarioForApproval } from "./auto-approval.js";
export { formAllowed, isWithin, releaseFormOf, scenarioStatusAt } from "./coverage.js";
export { decide, decisionHash } from "./decide.js";
export { type GrantScope, type ScenarioProposal, scenarioProposalExcess, sectorGrantExcess } from "./proposals.js";
export { type ReplayResult, replayDecision, type StoredDecision } from "./replay.js";
export {
  CLASSIFICATION_RULES,
  type ClassificationRules,
  classificationRulesSchema,
  defaultClassificationRules,
  defaultRulesFingerprint,
  levelRule,
  publishedRules,
  RELEASE_FORMS,
  rulesFingerprint,
} from "./rules.js";
export * from "./types.js";
