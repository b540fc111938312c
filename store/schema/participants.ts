import { index, pgTable, text, timestamp } from "drizzle-orm/pg-core";

export const PARTICIPANT_ROLES = ["authority", "sector", "owner", "operator", "regulator"] as const;
export type ParticipantRole = (typeof PARTICIPANT_ROLES)[number];

/** Organisations admitted to Sluice, each holding an Ed25519 key. */
export const participants = pgTable(
  "participants",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    role: text("role").$type<ParticipantRole>().notNull(),
    publicKey: text("public_key").notNull().unique(),
    sector: text("sector"),
    status: text("status").$type<"active" | "revoked">().notNull().default("active"),
    admittedBy: text("admitted_by"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("participants_role_idx").on(t.role)],
);

export type Participant = typeof participants.$inferSelect;
