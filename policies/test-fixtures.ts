import { defaultRulesFingerprint } from "./rules.js";
import type { DecisionRequest, DecisionState, GrantView, ScenarioView } from "./types.js";

// Shared by the policy tests: one operator, two owners, a state in which the base request is allowed.
export const WINDOW = { validFrom: "2026-01-01T00:00:00.000Z", validUntil: "2027-01-01T00:00:00.000Z" };

export const comprehensive: GrantView = {
  id: "g_c",
  tier: "comprehensive",
  operatorId: "op",
  regions: ["330100"],
  sectors: ["tax", "social-insurance"],
  datasetIds: null,
  categories: null,
  computeModes: ["plain", "mpc", "he", "psi", "join"],
  maxLevel: 3,
  status: "active",
  ...WINDOW,
};
export const sectorTax: GrantView = {
  ...comprehensive,
  id: "g_t",
  tier: "sector",
  sectors: ["tax"],
  computeModes: ["mpc"],
};
export const sectorSi: GrantView = {
  ...comprehensive,
  id: "g_s",
  tier: "sector",
  sectors: ["social-insurance"],
  computeModes: ["mpc"],
};

export const scenario: ScenarioView = {
  id: "sc",
  operatorId: "op",
  datasetIds: ["ds_si", "ds_tax"],
  fields: ["ds_tax.wages_fen", "ds_si.wages_fen"],
  computeModes: ["mpc"],
  queryShapes: ["sum"],
  minGroupSize: 10,
  epsilonPerQueryMicro: 500_000,
  epsilonBudgetMicro: 5_000_000,
  epsilonSpentMicro: 0,
  queryQuota: 100,
  queriesUsed: 0,
  pricePerQueryFen: 500,
  requiresResultReview: false,
  status: "active",
  approvals: [
    { ownerId: "si", decision: "approved" },
    { ownerId: "tax", decision: "approved" },
  ],
  ...WINDOW,
};

export function state(overrides: Partial<DecisionState> = {}): DecisionState {
  return {
    operator: { id: "op", role: "operator", status: "active" },
    grants: [comprehensive, sectorTax, sectorSi],
    datasets: [
      {
        id: "ds_si",
        ownerId: "si",
        sector: "social-insurance",
        category: "si-contributions",
        region: "330100",
        version: 1,
        fields: [{ name: "wages_fen", level: 3 }],
      },
      {
        id: "ds_tax",
        ownerId: "tax",
        sector: "tax",
        category: "enterprise-tax",
        region: "330100",
        version: 1,
        fields: [
          { name: "wages_fen", level: 2 },
          { name: "district", level: 1 },
          { name: "secret_core", level: 4 },
        ],
      },
    ],
    scenario,
    rules: defaultRulesFingerprint,
    ...overrides,
  };
}

export const request: DecisionRequest = {
  operatorId: "op",
  scenarioId: "sc",
  computeMode: "mpc",
  queryShape: "sum",
  fields: ["ds_si.wages_fen", "ds_tax.wages_fen"],
  epsilonMicro: 100_000,
  at: "2026-06-01T00:00:00.000Z",
};
