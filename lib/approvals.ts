import type { KeyObject } from "node:crypto";
import { z } from "zod";
import { canonicalize } from "./canonical-json.js";
import { signBytes, verifyBytes } from "./ed25519.js";
import { COMPUTE_MODES, QUERY_SHAPES } from "./vocabulary.js";

/**
 * What an owner approves when it approves a scenario, and signs with its own key: the terms a
 * compute node needs to refuse, by itself, a plan outside them.
 */
export const scenarioTermsSchema = z.object({
  scenarioId: z.string().min(1),
  operatorId: z.string().min(1),
  fields: z.array(z.string().min(3)).min(1),
  computeModes: z.array(z.enum(COMPUTE_MODES)).min(1),
  queryShapes: z.array(z.enum(QUERY_SHAPES)).min(1),
  minGroupSize: z.number().int().min(1),
  epsilonPerQueryMicro: z.number().int().min(0),
  /** The whole scenario's ε and queries: each owner's node keeps its own count of both. */
  epsilonBudgetMicro: z.number().int().min(0),
  queryQuota: z.number().int().min(0),
  validFrom: z.iso.datetime({ offset: true }),
  validUntil: z.iso.datetime({ offset: true }),
});
export type ScenarioTerms = z.infer<typeof scenarioTermsSchema>;

/** An owner's standing auto-approval rule, as the owner signed it. */
export const signedRuleContentSchema = z.object({
  ownerId: z.string().min(1),
  operatorIds: z.array(z.string()).nullable(),
  maxLevel: z.number().int().min(1),
  computeModes: z.array(z.enum(COMPUTE_MODES)).min(1),
  queryShapes: z.array(z.enum(QUERY_SHAPES)).min(1),
  minGroupSize: z.number().int().min(1),
  maxEpsilonPerQueryMicro: z.number().int().min(0),
});
export type SignedRuleContent = z.infer<typeof signedRuleContentSchema>;

export function scenarioTerms(s: {
  id: string;
  operatorId: string;
  fields: string[];
  computeModes: ScenarioTerms["computeModes"];
  queryShapes: ScenarioTerms["queryShapes"];
  minGroupSize: number;
  epsilonPerQueryMicro: number;
  epsilonBudgetMicro: number;
  queryQuota: number;
  validFrom: Date | string;
  validUntil: Date | string;
}): ScenarioTerms {
  const iso = (d: Date | string) => (typeof d === "string" ? new Date(d).toISOString() : d.toISOString());
  return {
    scenarioId: s.id,
    operatorId: s.operatorId,
    fields: [...s.fields].sort(),
    computeModes: [...s.computeModes].sort(),
    queryShapes: [...s.queryShapes].sort(),
    minGroupSize: s.minGroupSize,
    epsilonPerQueryMicro: s.epsilonPerQueryMicro,
    epsilonBudgetMicro: s.epsilonBudgetMicro,
    queryQuota: s.queryQuota,
    validFrom: iso(s.validFrom),
    validUntil: iso(s.validUntil),
  };
}

/** The exact text an owner signs to approve a scenario's terms (RFC 8785 canonical JSON). */
export const approvalMessage = (ownerId: string, terms: ScenarioTerms) =>
  canonicalize({ kind: "sluice/scenario-approval", ownerId, terms });
const ruleMessage = (rule: SignedRuleContent) => canonicalize({ kind: "sluice/auto-approval-rule", rule });

export function signApproval(ownerId: string, terms: ScenarioTerms, ownerKey: KeyObject | string): string {
  return signBytes(ownerKey, approvalMessage(ownerId, terms));
}

export function verifyApproval(
  ownerId: string,
  terms: ScenarioTerms,
  signature: string,
  ownerPublicKey: string,
): boolean {
  return verifyBytes(ownerPublicKey, approvalMessage(ownerId, terms), signature);
}

export function signRule(rule: SignedRuleContent, ownerKey: KeyObject | string): string {
  return signBytes(ownerKey, ruleMessage(rule));
}

export function verifyRule(rule: SignedRuleContent, signature: string, ownerPublicKey: string): boolean {
  return verifyBytes(ownerPublicKey, ruleMessage(rule), signature);
}
