import { eq, inArray } from "drizzle-orm";
import type { DatasetView, DecisionState, GrantView, ScenarioView } from "../../policies/index.js";
import { defaultRulesFingerprint } from "../../policies/index.js";
import {
  type Dataset,
  type DbOrTx,
  datasets,
  type Grant,
  grants,
  participants,
  type Scenario,
  type ScenarioApproval,
  scenarioApprovals,
  scenarios,
} from "../../store/index.js";

export function toGrantView(g: Grant): GrantView {
  return {
    id: g.id,
    tier: g.tier,
    operatorId: g.operatorId,
    regions: g.regions,
    sectors: g.sectors,
    datasetIds: g.datasetIds ?? null,
    categories: g.categories ?? null,
    computeModes: g.computeModes,
    maxLevel: g.maxLevel,
    validFrom: g.validFrom.toISOString(),
    validUntil: g.validUntil.toISOString(),
    status: g.status,
  };
}

export function toDatasetView(d: Dataset): DatasetView {
  return {
    id: d.id,
    ownerId: d.ownerId,
    sector: d.sector,
    category: d.category,
    region: d.region,
    version: d.version,
    fields: d.fields.map(({ name, level }) => ({ name, level })),
  };
}

export function toScenarioView(s: Scenario, approvals: ScenarioApproval[]): ScenarioView {
  return {
    id: s.id,
    operatorId: s.operatorId,
    datasetIds: s.datasetIds,
    fields: s.fields,
    computeModes: s.computeModes,
    queryShapes: s.queryShapes,
    minGroupSize: s.minGroupSize,
    epsilonPerQueryMicro: s.epsilonPerQueryMicro,
    epsilonBudgetMicro: s.epsilonBudgetMicro,
    epsilonSpentMicro: s.epsilonSpentMicro,
    queryQuota: s.queryQuota,
    queriesUsed: s.queriesUsed,
    pricePerQueryFen: s.pricePerQueryFen,
    requiresResultReview: s.requiresResultReview,
    validFrom: s.validFrom.toISOString(),
    validUntil: s.validUntil.toISOString(),
    status: s.status,
    approvals: approvals
      .map((a) => ({ ownerId: a.ownerId, decision: a.decision }))
      .sort((a, b) => a.ownerId.localeCompare(b.ownerId)),
  };
}

const byId = <T extends { id: string }>(a: T, b: T) => a.id.localeCompare(b.id);

/** Reads, at one moment, everything the decision engine looks at for an operator's scenario. */
export async function loadDecisionState(db: DbOrTx, operatorId: string, scenarioId: string): Promise<DecisionState> {
  const [operator] = await db.select().from(participants).where(eq(participants.id, operatorId));
  const [scenario] = await db.select().from(scenarios).where(eq(scenarios.id, scenarioId));
  const approvals = scenario
    ? await db.select().from(scenarioApprovals).where(eq(scenarioApprovals.scenarioId, scenarioId))
    : [];
  const datasetRows = scenario?.datasetIds.length
    ? await db.select().from(datasets).where(inArray(datasets.id, scenario.datasetIds))
    : [];
  const grantRows = await db.select().from(grants).where(eq(grants.operatorId, operatorId));
  return {
    operator: operator ? { id: operator.id, role: operator.role, status: operator.status } : null,
    grants: grantRows.map(toGrantView).sort(byId),
    scenario: scenario ? toScenarioView(scenario, approvals) : null,
    datasets: datasetRows.map(toDatasetView).sort(byId),
    rules: defaultRulesFingerprint,
  };
}
