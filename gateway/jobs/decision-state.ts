import { eq, inArray } from "drizzle-orm";
import { type DecisionState, defaultClassificationRules } from "../../policies/index.js";
import { type Db, datasets, grants, participants, scenarioApprovals, scenarios } from "../../store/index.js";

/** Reads, at one moment, everything the decision engine looks at for an operator's scenario. */
export async function loadDecisionState(db: Db, operatorId: string, scenarioId: string): Promise<DecisionState> {
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
    grants: grantRows
      .map((g) => ({
        id: g.id,
        tier: g.tier,
        operatorId: g.operatorId,
        regions: g.regions,
        sectors: g.sectors,
        datasetIds: g.datasetIds ?? null,
        computeModes: g.computeModes,
        maxLevel: g.maxLevel,
        validFrom: g.validFrom.toISOString(),
        validUntil: g.validUntil.toISOString(),
        status: g.status,
      }))
      .sort((a, b) => a.id.localeCompare(b.id)),
    scenario: scenario
      ? {
          id: scenario.id,
          operatorId: scenario.operatorId,
          datasetIds: scenario.datasetIds,
          fields: scenario.fields,
          computeModes: scenario.computeModes,
          aggregates: scenario.aggregates,
          minGroupSize: scenario.minGroupSize,
          epsilonPerQuery: scenario.epsilonPerQuery,
          epsilonBudget: scenario.epsilonBudget,
          epsilonSpent: scenario.epsilonSpent,
          queryQuota: scenario.queryQuota,
          queriesUsed: scenario.queriesUsed,
          pricePerQueryFen: scenario.pricePerQueryFen,
          validFrom: scenario.validFrom.toISOString(),
          validUntil: scenario.validUntil.toISOString(),
          status: scenario.status,
          approvals: approvals
            .map((a) => ({ ownerId: a.ownerId, decision: a.decision }))
            .sort((a, b) => a.ownerId.localeCompare(b.ownerId)),
        }
      : null,
    datasets: datasetRows
      .map((d) => ({
        id: d.id,
        ownerId: d.ownerId,
        sector: d.sector,
        region: d.region,
        fields: d.fields.map(({ name, level }) => ({ name, level })),
      }))
      .sort((a, b) => a.id.localeCompare(b.id)),
    rules: defaultClassificationRules,
  };
}
