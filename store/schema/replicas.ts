import { boolean, index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { jobs } from "./jobs.js";

/**
 * Counters of rate-limiter-flexible's Drizzle store (its column names): the signed requests each
 * participant made in the current window, shared by every gateway replica.
 */
export const rateLimits = pgTable("rate_limits", {
  key: text("key").primaryKey(),
  points: integer("points").notNull(),
  expire: timestamp("expire", { withTimezone: true }),
});

/**
 * One row per job running for an operator, whichever replica runs it; a slot a crashed replica
 * held frees itself at `expires_at`.
 */
export const jobSlots = pgTable(
  "job_slots",
  {
    id: text("id").primaryKey(),
    operatorId: text("operator_id").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("job_slots_operator_idx").on(t.operatorId, t.expiresAt)],
);

/**
 * A PSI job between the operator's rounds: the signed plans and the decision, so that any replica
 * serves its next step. `step` says which round it waits for; `busy_until` marks a step under way
 * (set atomically: two replicas never answer one job), and lapses if that replica dies.
 */
export const openPsiJobs = pgTable(
  "open_psi_jobs",
  {
    jobId: text("job_id")
      .primaryKey()
      .references(() => jobs.id),
    operatorId: text("operator_id").notNull(),
    state: jsonb("state").$type<Record<string, unknown>>().notNull(),
    answered: boolean("answered").notNull().default(false),
    released: boolean("released").notNull().default(false),
    busyUntil: timestamp("busy_until", { withTimezone: true }),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("open_psi_jobs_expiry_idx").on(t.expiresAt)],
);

/** The console's sign-in challenges, by the challenge's SHA-256 (the page holds the challenge itself). */
export const consoleChallenges = pgTable(
  "console_challenges",
  {
    digest: text("digest").primaryKey(),
    address: text("address").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    index("console_challenges_address_idx").on(t.address, t.expiresAt),
    index("console_challenges_expiry_idx").on(t.expiresAt),
  ],
);

/** Console sessions, by the SHA-256 of the cookie's token, so a read of this table signs no one in. */
export const consoleSessions = pgTable(
  "console_sessions",
  {
    digest: text("digest").primaryKey(),
    participantId: text("participant_id").notNull(),
    publicKey: text("public_key").notNull(),
    csrfToken: text("csrf_token").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("console_sessions_expiry_idx").on(t.expiresAt)],
);

/** Leases of work one replica does at a time (the anchoring worker): held until `expires_at` unless renewed. */
export const leases = pgTable("leases", {
  name: text("name").primaryKey(),
  holder: text("holder").notNull(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  acquiredAt: timestamp("acquired_at", { withTimezone: true }).notNull(),
});
