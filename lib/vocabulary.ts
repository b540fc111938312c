/** The domain's fixed vocabularies, shared by the store's columns and the policy engine's types. */

export const COMPUTE_MODES = ["plain", "mpc", "he", "psi", "join"] as const;
export type ComputeMode = (typeof COMPUTE_MODES)[number];

export const QUERY_SHAPES = [
  "row",
  "count",
  "sum",
  "mean",
  "variance",
  "histogram",
  "psi-size",
  "psi-membership",
  "psi-sum",
  "he-score",
] as const;
export type QueryShape = (typeof QUERY_SHAPES)[number];

export const SCENARIO_STATUSES = [
  "proposed",
  "approved",
  "rejected",
  "active",
  "suspended",
  "revoked",
  "expired",
  "needs_reapproval",
] as const;
export type ScenarioStatus = (typeof SCENARIO_STATUSES)[number];

export const GRANT_STATUSES = ["active", "suspended", "revoked"] as const;
export type GrantStatus = (typeof GRANT_STATUSES)[number];

export const JOB_STATUSES = ["running", "awaiting_review", "succeeded", "failed", "withheld"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
