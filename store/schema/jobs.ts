import { sql } from "drizzle-orm";
import { bigint, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import type { ComputeMode, JobStatus, QueryShape } from "../../lib/vocabulary.js";

/** What the operator asked a job to compute. */
export interface JobQuery {
  computeMode: ComputeMode;
  queryShape: QueryShape;
  fields: string[];
  epsilon: number;
}

import { scenarios } from "./authorisations.js";
import { participants } from "./participants.js";

/** A query run by an operator inside a scenario. */
export const jobs = pgTable(
  "jobs",
  {
    id: text("id").primaryKey(),
    scenarioId: text("scenario_id")
      .notNull()
      .references(() => scenarios.id),
    operatorId: text("operator_id")
      .notNull()
      .references(() => participants.id),
    query: jsonb("query").$type<JobQuery>().notNull(),
    status: text("status").$type<JobStatus>().notNull().default("running"),
    result: jsonb("result").$type<Record<string, unknown>>(),
    error: text("error"),
    decisionHash: text("decision_hash")
      .notNull()
      .references(() => decisions.hash),
    epsilonMicro: bigint("epsilon_micro", { mode: "number" }).notNull().default(0),
    /** The id of the HTTP request that started the job; it follows the job to every node and into its usage record. */
    requestId: text("request_id"),
    /**
     * When the first byte of a result left for the operator while the job was still running (a PSI
     * membership chunk, a PSI-sum's answers): from then on the job is charged however it ends.
     */
    releasedAt: timestamp("released_at", { withTimezone: true }),
    /** The gateway replica running the job: when its liveness lease lapses, another replica ends the job. */
    replicaId: text("replica_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  // An operator's jobs, newest first (GET /jobs).
  (t) => [index("jobs_operator_created_idx").on(t.operatorId, t.createdAt, t.id)],
);

/** Every decision with the exact inputs it was made from, keyed by its hash, so a regulator can replay it. */
export const decisions = pgTable("decisions", {
  hash: text("hash").primaryKey(),
  request: jsonb("request").$type<Record<string, unknown>>().notNull(),
  state: jsonb("state").$type<Record<string, unknown>>().notNull(),
  decision: jsonb("decision").$type<Record<string, unknown>>().notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/** An owner's review of a result before release, for scenarios that demand it. */
export const jobReviews = pgTable(
  "job_reviews",
  {
    jobId: text("job_id")
      .notNull()
      .references(() => jobs.id),
    ownerId: text("owner_id")
      .notNull()
      .references(() => participants.id),
    decision: text("decision").$type<"pending" | "released" | "withheld">().notNull().default("pending"),
    reason: text("reason"),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.ownerId] })],
);

/** Anchored batches of usage records: the Merkle root and the transaction that put it on chain. */
export const anchorBatches = pgTable("anchor_batches", {
  id: text("id").primaryKey(),
  root: text("root").notNull().unique(),
  recordCount: integer("record_count").notNull(),
  feeTotalFen: bigint("fee_total_fen", { mode: "number" }).notNull(),
  periodStart: timestamp("period_start", { withTimezone: true }).notNull(),
  periodEnd: timestamp("period_end", { withTimezone: true }).notNull(),
  status: text("status").$type<"sending" | "anchored">().notNull(),
  txHash: text("tx_hash"),
  blockNumber: integer("block_number"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  anchoredAt: timestamp("anchored_at", { withTimezone: true }),
});

/** The outbox of metered use: one signed record per finished job, later anchored in a batch. */
export const usageRecords = pgTable(
  "usage_records",
  {
    id: text("id").primaryKey(),
    jobId: text("job_id")
      .notNull()
      .unique()
      .references(() => jobs.id),
    record: jsonb("record").$type<Record<string, unknown>>().notNull(),
    recordHash: text("record_hash").notNull(),
    gatewaySignature: text("gateway_signature").notNull(),
    batchId: text("batch_id").references(() => anchorBatches.id),
    leafIndex: integer("leaf_index"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // A batch's records in leaf order (audit, proofs); only records in a batch, so the anchoring
    // worker's search for those not yet in one can only use the pending index below.
    index("usage_records_batch_idx")
      .on(t.batchId, t.leafIndex)
      .where(sql`${t.batchId} is not null`),
    // Periods (settlement, audit) are read in creation order a page at a time.
    index("usage_records_created_idx").on(t.createdAt, t.id),
    // The anchoring worker takes the oldest records not yet in a batch.
    index("usage_records_pending_idx")
      .on(t.createdAt, t.id)
      .where(sql`${t.batchId} is null`),
  ],
);

export type Job = typeof jobs.$inferSelect;
export type DecisionRow = typeof decisions.$inferSelect;
export type UsageRecordRow = typeof usageRecords.$inferSelect;
export type AnchorBatch = typeof anchorBatches.$inferSelect;
