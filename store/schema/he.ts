import { index, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { participants } from "./participants.js";

/**
 * Operators' homomorphic public keys (public, relinearisation and Galois keys, as SEAL saves them).
 * Secret keys are never here: they stay on the operator's machine.
 */
export const heKeys = pgTable(
  "he_keys",
  {
    id: text("id").primaryKey(),
    operatorId: text("operator_id")
      .notNull()
      .references(() => participants.id),
    paramSet: text("param_set").notNull(),
    publicKey: text("public_key").notNull(),
    relinKeys: text("relin_keys"),
    galoisKeys: text("galois_keys"),
    /** SHA-256 of the canonical public keys: the operator's own file shows the same. */
    fingerprint: text("fingerprint").notNull().unique(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("he_keys_operator_idx").on(t.operatorId)],
);

export type HeKeysRow = typeof heKeys.$inferSelect;
