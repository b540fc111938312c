import type { ComputeMode, GrantStatus, QueryShape, ScenarioStatus } from "../lib/vocabulary.js";

export {
  COMPUTE_MODES,
  type ComputeMode,
  GRANT_STATUSES,
  type GrantStatus,
  QUERY_SHAPES,
  type QueryShape,
  SCENARIO_STATUSES,
  type ScenarioStatus,
} from "../lib/vocabulary.js";

export type Tier = "participant" | "comprehensive" | "sector" | "scenario" | "classification";
export type Bilingual = { en: string; zh: string };

/** ε is counted in millionths, as integers, so budgets add up exactly. */
export const MICRO_EPSILON = 1_000_000;

export interface FieldView {
  name: string;
  level: number;
}

export interface DatasetView {
  id: string;
  ownerId: string;
  sector: string;
  category: string;
  region: string;
  version: number;
  fields: FieldView[];
}

export interface GrantView {
  id: string;
  tier: "comprehensive" | "sector";
  operatorId: string;
  regions: string[];
  sectors: string[];
  /** Sector grants may name datasets and/or categories; null means every dataset of the sector. */
  datasetIds: string[] | null;
  categories: string[] | null;
  computeModes: ComputeMode[];
  maxLevel: number;
  validFrom: string;
  validUntil: string;
  status: GrantStatus;
}

export interface ScenarioView {
  id: string;
  operatorId: string;
  datasetIds: string[];
  fields: string[];
  computeModes: ComputeMode[];
  queryShapes: QueryShape[];
  minGroupSize: number;
  epsilonPerQueryMicro: number;
  epsilonBudgetMicro: number;
  epsilonSpentMicro: number;
  queryQuota: number;
  queriesUsed: number;
  pricePerQueryFen: number;
  requiresResultReview: boolean;
  validFrom: string;
  validUntil: string;
  status: ScenarioStatus;
  approvals: { ownerId: string; decision: "pending" | "approved" | "rejected" }[];
}

/** What an operator asks to compute. Fields are `datasetId.field`. */
export interface DecisionRequest {
  operatorId: string;
  scenarioId: string;
  computeMode: ComputeMode;
  queryShape: QueryShape;
  fields: string[];
  /** ε asked for this query, in millionths. */
  epsilonMicro: number;
  at: string;
}

/** Everything the engine looks at; the gateway reads it from the store at one moment. */
export interface DecisionState {
  operator: { id: string; role: string; status: string } | null;
  grants: GrantView[];
  scenario: ScenarioView | null;
  datasets: DatasetView[];
  /**
   * The published fingerprint of the classification rules in force (`classification@1#…`,
   * rulesFingerprint): the decision names them instead of carrying a copy.
   */
  rules: string;
}

export interface ResultClassification {
  level: number;
  category: string;
  handling: Bilingual;
}

export interface Obligations {
  minGroupSize: number;
  epsilonMicro: number;
  dpMechanism: "none" | "discrete-laplace";
  priceFen: number;
  ownerIds: string[];
  datasetIds: string[];
  requiresResultReview: boolean;
  resultClassification: ResultClassification;
}

export type Decision =
  | { effect: "allow"; obligations: Obligations; policyVersions: Record<string, string> }
  | { effect: "deny"; tier: Tier; rule: string; reason: Bilingual; policyVersions: Record<string, string> };

/** Something a grant or proposal asks beyond the tier above it, in words. */
export interface Excess {
  tier: Tier;
  rule: string;
  reason: Bilingual;
}
