import { integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
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
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/** A registered dataset (数据资源登记): schema, sector, region and a classification level per field. */
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
  region: text("region").notNull(),
  keyField: text("key_field").notNull(),
  fields: jsonb("fields").$type<DatasetField[]>().notNull(),
  version: integer("version").notNull().default(1),
  contentHash: text("content_hash").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

export type ComputeNode = typeof computeNodes.$inferSelect;
export type Dataset = typeof datasets.$inferSelect;
