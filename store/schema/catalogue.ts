import { integer, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { participants } from "./participants.js";

export interface DatasetField {
  name: string;
  type: "string" | "integer" | "decimal" | "date" | "boolean";
  level: number;
}

/** An owner's compute node: where its data is computed on, and the key it signs with. */
export const computeNodes = pgTable("compute_nodes", {
  id: text("id").primaryKey(),
  ownerId: text("owner_id")
    .notNull()
    .references(() => participants.id),
  url: text("url").notNull(),
  publicKey: text("public_key").notNull().unique(),
  /** owner: computes on its owner's data; helper: holds no data, the third party of two-owner jobs. */
  kind: text("kind").$type<"owner" | "helper">().notNull().default("owner"),
  /** The node's X25519 public key, to which its peers seal their shares. */
  encryptionKey: text("encryption_key"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/** A registered dataset (数据资源登记), at its current version. */
export const datasets = pgTable("datasets", {
  id: text("id").primaryKey(),
  ownerId: text("owner_id")
    .notNull()
    .references(() => participants.id),
  nodeId: text("node_id")
    .notNull()
    .references(() => computeNodes.id),
  name: text("name").notNull(),
  sector: text("sector").notNull(),
  category: text("category").notNull(),
  region: text("region").notNull(),
  keyField: text("key_field").notNull(),
  fields: jsonb("fields").$type<DatasetField[]>().notNull(),
  version: integer("version").notNull().default(1),
  contentHash: text("content_hash").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Every version a dataset's registration has had; a change of schema or levels is a new one. */
export const datasetVersions = pgTable(
  "dataset_versions",
  {
    datasetId: text("dataset_id")
      .notNull()
      .references(() => datasets.id),
    version: integer("version").notNull(),
    content: jsonb("content").$type<Record<string, unknown>>().notNull(),
    contentHash: text("content_hash").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.datasetId, t.version] })],
);

export type ComputeNode = typeof computeNodes.$inferSelect;
export type Dataset = typeof datasets.$inferSelect;
