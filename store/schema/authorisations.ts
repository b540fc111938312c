import { bigint, doublePrecision, integer, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { participants } from "./participants.js";

export const COMPUTE_MODES = ["mpc", "he", "psi"] as const;
export type ComputeMode = (typeof COMPUTE_MODES)[number];

/** Comprehensive (authority → operator) and sector (department → operator) authorisations. */
export const grants = pgTable("grants", {
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
  computeModes: jsonb("compute_modes").$type<ComputeMode[]>().notNull(),
  maxLevel: integer("max_level").notNull(),
  validFrom: timestamp("valid_from", { withTimezone: true }).notNull(),
  validUntil: timestamp("valid_until", { withTimezone: true }).notNull(),
  status: text("status").$type<"active" | "suspended" | "revoked">().notNull().default("active"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

export type ScenarioStatus = "proposed" | "approved" | "rejected" | "active" | "suspended" | "revoked" | "expired";

/** A scenario (依场景授权) proposed by an operator; every owner involved must approve it. */
export const scenarios = pgTable("scenarios", {
  id: text("id").primaryKey(),
  operatorId: text("operator_id")
    .notNull()
    .references(() => participants.id),
  purpose: text("purpose").notNull(),
  datasetIds: jsonb("dataset_ids").$type<string[]>().notNull(),
  fields: jsonb("fields").$type<string[]>().notNull(),
  computeModes: jsonb("compute_modes").$type<ComputeMode[]>().notNull(),
  aggregates: jsonb("aggregates").$type<string[]>().notNull(),
  minGroupSize: integer("min_group_size").notNull(),
  epsilonPerQuery: doublePrecision("epsilon_per_query").notNull(),
  epsilonBudget: doublePrecision("epsilon_budget").notNull(),
  epsilonSpent: doublePrecision("epsilon_spent").notNull().default(0),
  queryQuota: integer("query_quota").notNull(),
  queriesUsed: integer("queries_used").notNull().default(0),
  pricePerQueryFen: bigint("price_per_query_fen", { mode: "number" }).notNull(),
  platformShareBasisPoints: integer("platform_share_bp").notNull(),
  validFrom: timestamp("valid_from", { withTimezone: true }).notNull(),
  validUntil: timestamp("valid_until", { withTimezone: true }).notNull(),
  status: text("status").$type<ScenarioStatus>().notNull().default("proposed"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

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
    decidedAt: timestamp("decided_at", { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.scenarioId, t.ownerId] })],
);

export type Grant = typeof grants.$inferSelect;
export type Scenario = typeof scenarios.$inferSelect;
export type ScenarioApproval = typeof scenarioApprovals.$inferSelect;
