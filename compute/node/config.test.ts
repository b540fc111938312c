import { describe, expect, it } from "vitest";
import { nodeConfigSchema } from "./config.js";

// Where a dataset's rows come from: exactly one source, each named as its database needs.
const base = {
  nodeId: "node_tax",
  ownerId: "owner_tax",
  keyFile: "node.pem",
  gatewayPublicKey: "k",
  ownerPublicKeys: ["A".repeat(43)],
  peers: [],
};
const columns = [{ name: "uscc", type: "string" }];
const withDataset = (source: Record<string, unknown>) =>
  nodeConfigSchema.safeParse({ ...base, datasets: [{ id: "ds_tax", columns, ...source }] });
const messages = (result: ReturnType<typeof withDataset>) => (result.error?.issues ?? []).map((i) => i.message);

describe("a node's dataset sources", () => {
  it("takes a CSV, files, a PostgreSQL table or a MySQL table", () => {
    for (const source of [
      { file: "tax.csv" },
      { files: { path: "exports/", format: "parquet" } },
      { postgres: { url: "postgres://sluice_node@10.0.0.5/tax", table: "enterprise_tax" } },
      { mysql: { url: "mysql://sluice_node:pw@10.0.0.6:3306/social", table: "insured" } },
    ]) {
      expect(withDataset(source).success, JSON.stringify(source)).toBe(true);
    }
  });

  it("refuses none or two of them, naming the four", () => {
    for (const source of [
      {},
      { file: "tax.csv", mysql: { url: "mysql://h/db", table: "t" } },
      { postgres: { url: "postgres://h/db", table: "t" }, mysql: { url: "mysql://h/db", table: "t" } },
    ]) {
      expect(messages(withDataset(source))).toContain(
        "a dataset comes from a CSV file, from files, or from a PostgreSQL or MySQL table: exactly one of file, files, postgres and mysql",
      );
    }
  });

  it("refuses a MySQL URL that names no database, another scheme, an unknown field or a table that is not an identifier", () => {
    expect(messages(withDataset({ mysql: { url: "mysql://h:3306/", table: "t" } }))).toContain(
      "a mysql:// URL naming its database",
    );
    expect(messages(withDataset({ mysql: { url: "postgres://h/db", table: "t" } }))).toContain(
      "a mysql:// URL naming its database",
    );
    expect(withDataset({ mysql: { url: "mysql://h/db", table: "t", schema: "x" } }).success).toBe(false);
    expect(messages(withDataset({ mysql: { url: "mysql://h/db", table: "Insured; DROP" } }))).toContain(
      "a lower-case SQL identifier",
    );
  });
});
