import { index, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

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

/** Every key a participant has held: the current one is active; rotated and revoked keys never sign again. */
export const participantKeys = pgTable(
  "participant_keys",
  {
    publicKey: text("public_key").primaryKey(),
    participantId: text("participant_id")
      .notNull()
      .references(() => participants.id),
    status: text("status").$type<"active" | "rotated" | "revoked">().notNull().default("active"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    retiredAt: timestamp("retired_at", { withTimezone: true }),
  },
  (t) => [index("participant_keys_participant_idx").on(t.participantId)],
);

/** Nonces of signed requests seen within the validity window; a second use is a replay. */
export const requestNonces = pgTable(
  "request_nonces",
  {
    keyId: text("key_id").notNull(),
    nonce: text("nonce").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.keyId, t.nonce] }), index("request_nonces_expiry_idx").on(t.expiresAt)],
);

export type ParticipantKey = typeof participantKeys.$inferSelect;
