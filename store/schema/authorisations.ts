import {
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from "drizzle-orm/pg-core";
import type { ComputeMode, GrantStatus, QueryShape, ScenarioStatus } from "../../lib/vocabulary.js";
import { participants } from "./participants.js";

/** Comprehensive (authority → operator) and sector (department → operator) authorisations. */
export const grants = pgTable(
  "grants",
  {
    id: text("id").primaryKey(),
    tier: text("tier").$type<"comprehensive" | "sector">().notNull(),
    grantorId: text("grantor_id")
      .notNull()
      .references(() => participants.id),
    operatorId: text("operator_id")
      .notNull()
      .references(() => participants.id),
    regions: jsonb("regions").$type<string[]>().notNull(),
    sectors: jsonb("sectors").$type<string[]>().notNull(),
    datasetIds: jsonb("dataset_ids").$type<string[] | null>(),
    categories: jsonb("categories").$type<string[] | null>(),
    computeModes: jsonb("compute_modes").$type<ComputeMode[]>().notNull(),
    maxLevel: integer("max_level").notNull(),
    validFrom: timestamp("valid_from", { withTimezone: true }).notNull(),
    validUntil: timestamp("valid_until", { withTimezone: true }).notNull(),
    status: text("status").$type<GrantStatus>().notNull().default("active"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("grants_operator_idx").on(t.operatorId)],
);

/** A scenario (依场景授权) proposed by an operator; every owner involved must approve it. */
export const scenarios = pgTable(
  "scenarios",
  {
    id: text("id").primaryKey(),
    operatorId: text("operator_id")
      .notNull()
      .references(() => participants.id),
    purpose: text("purpose").notNull(),
    datasetIds: jsonb("dataset_ids").$type<string[]>().notNull(),
    /** The dataset versions the owners approved; a newer version sends the scenario back for approval. */
    datasetVersions: jsonb("dataset_versions").$type<Record<string, number>>().notNull(),
    fields: jsonb("fields").$type<string[]>().notNull(),
    computeModes: jsonb("compute_modes").$type<ComputeMode[]>().notNull(),
    queryShapes: jsonb("query_shapes").$type<QueryShape[]>().notNull(),
    minGroupSize: integer("min_group_size").notNull(),
    epsilonPerQueryMicro: bigint("epsilon_per_query_micro", { mode: "number" }).notNull(),
    epsilonBudgetMicro: bigint("epsilon_budget_micro", { mode: "number" }).notNull(),
    epsilonSpentMicro: bigint("epsilon_spent_micro", { mode: "number" }).notNull().default(0),
    queryQuota: integer("query_quota").notNull(),
    queriesUsed: integer("queries_used").notNull().default(0),
    pricePerQueryFen: bigint("price_per_query_fen", { mode: "number" }).notNull(),
    platformShareBasisPoints: integer("platform_share_bp").notNull(),
    /** Agreed owner shares of the rest, in basis points of the whole; null splits by contribution. */
    ownerShareBasisPoints: jsonb("owner_share_bp").$type<Record<string, number> | null>(),
    requiresResultReview: boolean("requires_result_review").notNull().default(false),
    validFrom: timestamp("valid_from", { withTimezone: true }).notNull(),
    validUntil: timestamp("valid_until", { withTimezone: true }).notNull(),
    status: text("status").$type<ScenarioStatus>().notNull().default("proposed"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("scenarios_operator_idx").on(t.operatorId)],
);

/** Each owner's decision on a scenario that uses its datasets. */
export const scenarioApprovals = pgTable(
  "scenario_approvals",
  {
    scenarioId: text("scenario_id")
      .notNull()
      .references(() => scenarios.id),
    ownerId: text("owner_id")
      .notNull()
      .references(() => participants.id),
    decision: text("decision").$type<"pending" | "approved" | "rejected">().notNull().default("pending"),
    reason: text("reason"),
    /** Who decided: the owner itself, or `auto-rule:<id>` for an automatic approval. */
    decidedBy: text("decided_by"),
    /** The owner's Ed25519 signature over the scenario's terms (lib/approvals.ts); compute nodes check it. */
    signature: text("signature"),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.scenarioId, t.ownerId] }), index("scenario_approvals_owner_idx").on(t.ownerId)],
);

/** An owner's standing rule for approving matching scenarios automatically. */
export const autoApprovalRules = pgTable("auto_approval_rules", {
  id: text("id").primaryKey(),
  ownerId: text("owner_id")
    .notNull()
    .references(() => participants.id),
  operatorIds: jsonb("operator_ids").$type<string[] | null>(),
  maxLevel: integer("max_level").notNull(),
  computeModes: jsonb("compute_modes").$type<ComputeMode[]>().notNull(),
  queryShapes: jsonb("query_shapes").$type<QueryShape[]>().notNull(),
  minGroupSize: integer("min_group_size").notNull(),
  maxEpsilonPerQueryMicro: bigint("max_epsilon_per_query_micro", { mode: "number" }).notNull(),
  /** The owner's signature over the rule (lib/approvals.ts), so its nodes can trust what it approves. */
  signature: text("signature").notNull(),
  active: boolean("active").notNull().default(true),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Every change to a grant, scenario or dataset registration: who, what, why, when. */
export const authorisationEvents = pgTable(
  "authorisation_events",
  {
    id: text("id").primaryKey(),
    subjectType: text("subject_type")
      .$type<"grant" | "scenario" | "dataset" | "auto_approval_rule" | "participant">()
      .notNull(),
    subjectId: text("subject_id").notNull(),
    actorId: text("actor_id").notNull(),
    action: text("action").notNull(),
    reason: text("reason"),
    details: jsonb("details").$type<Record<string, unknown>>(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    /** The order events were written in (several can share a timestamp); the registries anchor in this order. */
    seq: bigserial("seq", { mode: "number" }).notNull(),
    /** The transaction that anchored the event (ParticipantRegistry or AuthorisationRegistry). */
    anchorTxHash: text("anchor_tx_hash"),
  },
  (t) => [index("authorisation_events_subject_idx").on(t.subjectType, t.subjectId)],
);

export type Grant = typeof grants.$inferSelect;
export type Scenario = typeof scenarios.$inferSelect;
export type ScenarioApproval = typeof scenarioApprovals.$inferSelect;
export type AutoApprovalRuleRow = typeof autoApprovalRules.$inferSelect;
export type AuthorisationEvent = typeof authorisationEvents.$inferSelect;
