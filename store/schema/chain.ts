import { integer, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

/** Where each contract lives on each chain, so a restart reuses the deployment instead of redeploying. */
export const contractDeployments = pgTable(
  "contract_deployments",
  {
    chainId: integer("chain_id").notNull(),
    name: text("name").notNull(),
    address: text("address").notNull(),
    txHash: text("tx_hash").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.chainId, t.name] })],
);

export type ContractDeployment = typeof contractDeployments.$inferSelect;
