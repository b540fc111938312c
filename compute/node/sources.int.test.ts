import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnComputeNode } from "../../gateway/node-processes.js";
import { generateEd25519KeyPair } from "../../lib/ed25519.js";
import { ComputeError } from "../errors.js";
import { createMemoryDataStore } from "./datastore.js";
import { loadDataset } from "./sources.js";

// The owner's own PostgreSQL as a node's data source; runs where a PostgreSQL server is given (CI).
const serverUrl = process.env.TEST_DATABASE_URL;

describe.skipIf(!serverUrl)("a compute node reading its owner's PostgreSQL", () => {
  const schema = `owner_${randomBytes(4).toString("hex")}`;
  const admin = postgres(serverUrl as string, { max: 1, onnotice: () => {} });
  const columns = [
    { name: "district", type: "string" as const, level: 1 },
    { name: "tax_paid_fen", type: "integer" as const, level: 3 },
    { name: "turnover_yuan", type: "decimal" as const, level: 2 },
  ];
  const source = { id: "ds_tax", postgres: { url: serverUrl as string, schema, table: "enterprise_tax" }, columns };

  beforeAll(async () => {
    await admin.unsafe(`create schema ${schema}`);
    await admin.unsafe(
      `create table ${schema}.enterprise_tax (uscc text, district text, tax_paid_fen bigint, turnover_yuan numeric(16,2))`,
    );
    await admin.unsafe(`insert into ${schema}.enterprise_tax values
      ('91330100MA27XK1A2B', '330102', 120000000000, 1234567.89),
      ('91330100MA27XK1A3C', '330105', 5, 0.10),
      ('91330100MA27XK1A4D', '330102', 7, 10.01)`);
  });
  afterAll(async () => {
    await admin.unsafe(`drop schema if exists ${schema} cascade`);
    await admin.end();
  });

  it("imports the table's rows exactly, integers and decimals alike", async () => {
    const store = createMemoryDataStore([await loadDataset(source)]);
    expect(store.describe("ds_tax")?.rowCount).toBe(3);
    expect(store.aggregate("ds_tax", "tax_paid_fen", { aggregate: "sum", filters: [] })).toEqual([
      3n,
      120_000_000_012n,
    ]);
    expect(
      store.aggregate("ds_tax", "turnover_yuan", {
        aggregate: "sum",
        filters: [],
        groupBy: { field: "district", values: ["330102", "330105"] },
      }),
    ).toEqual([2n, 123_457_790n, 1n, 10n]); // hundredths
  });

  it("refuses a table that is not there and a row with a missing value, naming them", async () => {
    await expect(loadDataset({ ...source, postgres: { ...source.postgres, table: "missing" } })).rejects.toThrow(
      /cannot read .*missing/,
    );
    await admin.unsafe(`insert into ${schema}.enterprise_tax values ('x', null, 1, 1)`);
    const failure = await loadDataset(source).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ComputeError);
    expect((failure as Error).message).toMatch(/row 4 has no district/);
    await admin.unsafe(`delete from ${schema}.enterprise_tax where uscc = 'x'`);
  });

  it("serves it from a node process started with that configuration", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "sluice-node-pg-"));
    try {
      writeFileSync(path.join(dir, "node.pem"), generateEd25519KeyPair().privateKeyPem);
      const config = {
        nodeId: "node_pg",
        ownerId: "owner_tax",
        keyFile: "node.pem",
        gatewayPublicKey: generateEd25519KeyPair().publicKey,
        ownerPublicKeys: [generateEd25519KeyPair().publicKey],
        peers: [],
        datasets: [source],
      };
      writeFileSync(path.join(dir, "node.json"), JSON.stringify(config));
      const node = await spawnComputeNode(path.join(dir, "node.json"));
      try {
        const health = (await (await fetch(`${node.url}/health`)).json()) as { datasets: { rowCount: number }[] };
        expect(health.datasets).toMatchObject([{ id: "ds_tax", rowCount: 3 }]);
      } finally {
        await node.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
