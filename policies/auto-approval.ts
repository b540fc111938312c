import type { ScenarioProposal } from "./proposals.js";
import type { ComputeMode, DatasetView, QueryShape } from "./types.js";

/** An owner's standing rule: approve matching scenarios without a clerk, logged like a manual approval. */
export interface AutoApprovalRule {
  id: string;
  ownerId: string;
  /** Operators this rule trusts; null trusts any admitted operator. */
  operatorIds: string[] | null;
  maxLevel: number;
  computeModes: ComputeMode[];
  queryShapes: QueryShape[];
  minGroupSize: number;
  maxEpsilonPerQueryMicro: number;
  active: boolean;
}

/** The parts of a proposal an auto-approval rule judges. */
export type ScenarioForApproval = Omit<ScenarioProposal, "validFrom" | "validUntil">;

/** Why the rule does not approve the scenario, or null when it does. Only the owner's own fields count. */
export function autoApprovalMismatch(
  rule: AutoApprovalRule,
  scenario: ScenarioForApproval,
  datasets: DatasetView[],
): string | null {
  if (!rule.active) return "the rule is switched off";
  if (rule.operatorIds !== null && !rule.operatorIds.includes(scenario.operatorId))
    return `operator ${scenario.operatorId} is not listed`;
  const mine = new Map(datasets.filter((d) => d.ownerId === rule.ownerId).map((d) => [d.id, d]));
  for (const qualified of scenario.fields) {
    const dot = qualified.indexOf(".");
    const dataset = mine.get(qualified.slice(0, dot));
    if (!dataset) continue;
    const level = dataset.fields.find((f) => f.name === qualified.slice(dot + 1))?.level ?? Number.MAX_SAFE_INTEGER;
    if (level > rule.maxLevel) return `${qualified} is level ${level}, above ${rule.maxLevel}`;
  }
  const modes = scenario.computeModes.filter((m) => !rule.computeModes.includes(m));
  if (modes.length) return `compute modes ${modes.join(", ")} are not allowed`;
  const shapes = scenario.queryShapes.filter((s) => !rule.queryShapes.includes(s));
  if (shapes.length) return `query shapes ${shapes.join(", ")} are not allowed`;
  if (scenario.minGroupSize < rule.minGroupSize) return `k ${scenario.minGroupSize} is below ${rule.minGroupSize}`;
  if (scenario.epsilonPerQueryMicro > rule.maxEpsilonPerQueryMicro) return "ε per query is above the rule's limit";
  return null;
}
