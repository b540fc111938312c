import type { ClassificationRules } from "./rules.js";

export type ComputeMode = "mpc" | "he" | "psi";
export type Tier = "participant" | "comprehensive" | "sector" | "scenario" | "classification";

export interface FieldView {
  name: string;
  level: number;
}

export interface DatasetView {
  id: string;
  ownerId: string;
  sector: string;
  region: string;
  fields: FieldView[];
}

export interface GrantView {
  id: string;
  tier: "comprehensive" | "sector";
  operatorId: string;
  regions: string[];
  sectors: string[];
  datasetIds: string[] | null;
  computeModes: ComputeMode[];
  maxLevel: number;
  validFrom: string;
  validUntil: string;
  status: "active" | "suspended" | "revoked";
}

export interface ScenarioView {
  id: string;
  operatorId: string;
  datasetIds: string[];
  fields: string[];
  computeModes: ComputeMode[];
  aggregates: string[];
  minGroupSize: number;
  epsilonPerQuery: number;
  epsilonBudget: number;
  epsilonSpent: number;
  queryQuota: number;
  queriesUsed: number;
  pricePerQueryFen: number;
  validFrom: string;
  validUntil: string;
  status: string;
  approvals: { ownerId: string; decision: "pending" | "approved" | "rejected" }[];
}

/** What an operator asks to compute. Fields are `datasetId.field`. */
export interface DecisionRequest {
  operatorId: string;
  scenarioId: string;
  computeMode: ComputeMode;
  aggregate: string;
  fields: string[];
  at: string;
}

/** Everything the engine looks at; the gateway reads it from the store at one moment. */
export interface DecisionState {
  operator: { id: string; role: string; status: string } | null;
  grants: GrantView[];
  scenario: ScenarioView | null;
  datasets: DatasetView[];
  rules: ClassificationRules;
}

export interface Obligations {
  minGroupSize: number;
  epsilon: number;
  priceFen: number;
  ownerIds: string[];
  datasetIds: string[];
}

export type Decision =
  | { effect: "allow"; obligations: Obligations; policyVersions: Record<string, string> }
  | {
      effect: "deny";
      tier: Tier;
      rule: string;
      reason: { en: string; zh: string };
      policyVersions: Record<string, string>;
    };
