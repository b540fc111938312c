import { inArray } from "drizzle-orm";
import type { ApprovalProof } from "../../compute/index.js";
import { type ScenarioTerms, scenarioTerms } from "../../lib/approvals.js";
import { SluiceError } from "../../lib/errors.js";
import { autoApprovalRules, type DbOrTx } from "../../store/index.js";
import { loadScenario } from "../services/scenarios.js";

/**
 * The scenario's terms and, per owner, the owner's own proof that it approved them: its signature,
 * or the signed auto-approval rule that approved for it. The nodes check these, not the gateway's word.
 */
export async function approvalProofs(
  db: DbOrTx,
  scenarioId: string,
): Promise<{ terms: ScenarioTerms; proofFor(ownerId: string): ApprovalProof }> {
  const { scenario, approvals } = await loadScenario(db, scenarioId);
  const ruleIds = approvals.flatMap((a) =>
    a.decidedBy?.startsWith("auto-rule:") ? [a.decidedBy.slice("auto-rule:".length)] : [],
  );
  const rules = ruleIds.length
    ? await db.select().from(autoApprovalRules).where(inArray(autoApprovalRules.id, ruleIds))
    : [];
  return {
    terms: scenarioTerms(scenario),
    proofFor(ownerId) {
      const approval = approvals.find((a) => a.ownerId === ownerId && a.decision === "approved");
      if (approval?.signature) return { kind: "signed", ownerId, signature: approval.signature };
      const rule = rules.find((r) => approval?.decidedBy === `auto-rule:${r.id}`);
      if (rule) {
        const { id: _id, active: _active, createdAt: _createdAt, signature, ...content } = rule;
        return { kind: "rule", ownerId, rule: { ...content, operatorIds: content.operatorIds ?? null }, signature };
      }
      throw new SluiceError(
        "not_executable",
        `${ownerId}'s approval of scenario ${scenarioId} carries no signature its nodes could check`,
      );
    },
  };
}
