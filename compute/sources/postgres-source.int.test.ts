import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnComputeNode } from "../../gateway/node-processes.js";
import { generateEd25519KeyPair } from "../../lib/ed25519.js";
import type { ColumnSpec, NodeDataStore } from "../node/datastore.js";
import { PostgresPools } from "./postgres-engine.js";
import { createSqlDataStore } from "./sql-store.js";

// The owner's own PostgreSQL as a node's live source; runs where a PostgreSQL server is given (CI).
const serverUrl = process.env.TEST_DATABASE_URL;

describe.skipIf(!serverUrl)("a compute node querying its owner's PostgreSQL live", () => {
  const schema = `owner_${randomBytes(4).toString("hex")}`;
  const role = `sluice_node_${randomBytes(4).toString("hex")}`;
  const admin = postgres(serverUrl as string, { max: 1, onnotice: () => {} });
  const columns: ColumnSpec[] = [
    { name: "uscc", type: "string", level: 1 },
    { name: "district", type: "string", level: 1 },
    { name: "tax_paid_fen", type: "integer", level: 3 },
    { name: "turnover_yuan", type: "decimal", level: 2 },
  ];
  const pools = new PostgresPools({ maxConnections: 2, statementTimeoutMs: 10_000 });
  const storeOver = (table: string, registered = columns, url = serverUrl as string, on = pools): NodeDataStore =>
    createSqlDataStore([{ id: "ds_tax", columns: registered, engine: on.engine({ url, schema, table }) }]);
  const sum = { aggregate: "sum" as const, filters: [] };
  const asRole = () => {
    const url = new URL(serverUrl as string);
    url.username = role;
    return url.toString();
  };

  beforeAll(async () => {
    await admin.unsafe(`create schema ${schema}`);
    await admin.unsafe(
      `create table ${schema}.enterprise_tax (uscc text, district text, tax_paid_fen bigint, turnover_yuan numeric(16,2), secret text)`,
    );
    await admin.unsafe(`insert into ${schema}.enterprise_tax values
      ('91330100MA27XK1A2B', '330102', 120000000000, 1234567.89, 'x'),
      ('91330100MA27XK1A3C', '330105', 5, 0.10, 'y'),
      ('91330100MA27XK1A4D', '330102', 7, 10.01, 'z')`);
    // What an owner grants a node: read the registered columns, nothing else, no writes.
    await admin.unsafe(`create role ${role} login`);
    await admin.unsafe(`grant usage on schema ${schema} to ${role}`);
    await admin.unsafe(
      `grant select (uscc, district, tax_paid_fen, turnover_yuan) on ${schema}.enterprise_tax to ${role}`,
    );
  });
  afterAll(async () => {
    await pools.close();
    await admin.unsafe(`drop schema if exists ${schema} cascade`);
    await admin.unsafe(`drop role if exists ${role}`);
    await admin.end();
  });

  it("computes in the database, integers and decimals exactly, and counts rows added since in the next job", async () => {
    const store = storeOver("enterprise_tax");
    expect(await store.aggregate("ds_tax", "tax_paid_fen", sum)).toEqual([3n, 120_000_000_012n]);
    expect(
      await store.aggregate("ds_tax", "turnover_yuan", {
        aggregate: "sum",
        filters: [],
        groupBy: { field: "district", values: ["330102", "330105"] },
      }),
    ).toEqual([2n, 123_457_790n, 1n, 10n]); // hundredths
    await admin.unsafe(`insert into ${schema}.enterprise_tax values ('91330100MA27XK1A5E', '330105', 1, 0.01, 'w')`);
    try {
      expect(await store.aggregate("ds_tax", "tax_paid_fen", sum)).toEqual([4n, 120_000_000_013n]);
    } finally {
      await admin.unsafe(`delete from ${schema}.enterprise_tax where uscc = '91330100MA27XK1A5E'`);
    }
  });

  it("works under a role with SELECT on the registered columns only, and refuses a column it may not read, naming it", async () => {
    const rolePools = new PostgresPools({ maxConnections: 1, statementTimeoutMs: 10_000 });
    try {
      const store = storeOver("enterprise_tax", columns, asRole(), rolePools);
      expect(await store.aggregate("ds_tax", "tax_paid_fen", sum)).toEqual([3n, 120_000_000_012n]);
      const wider = storeOver("enterprise_tax", [...columns, { name: "secret", type: "string" }], asRole(), rolePools);
      await expect(wider.aggregate("ds_tax", "tax_paid_fen", sum)).rejects.toThrow(
        /column secret is not in .*enterprise_tax \(or this node may not read it\)/,
      );
    } finally {
      await rolePools.close();
    }
  });

  it("refuses a table whose columns no longer match the registered schema, naming the column", async () => {
    await admin.unsafe(`alter table ${schema}.enterprise_tax rename column turnover_yuan to turnover`);
    try {
      await expect(storeOver("enterprise_tax").aggregate("ds_tax", "tax_paid_fen", sum)).rejects.toThrow(
        /column turnover_yuan is not in/,
      );
    } finally {
      await admin.unsafe(`alter table ${schema}.enterprise_tax rename column turnover to turnover_yuan`);
    }
    await admin.unsafe(
      `create table ${schema}.drifted (uscc text, district bigint, tax_paid_fen bigint, turnover_yuan numeric)`,
    );
    await expect(storeOver("drifted").aggregate("ds_tax", "tax_paid_fen", sum)).rejects.toThrow(
      /column district is bigint in .*drifted; its registered schema says string/,
    );
    await expect(storeOver("missing").aggregate("ds_tax", "tax_paid_fen", sum)).rejects.toThrow(
      /column uscc is not in .*missing/,
    );
  });

  it("treats a NULL as its column declares: refused naming the column, its row skipped, or counted as SQL counts", async () => {
    await admin.unsafe(`create table ${schema}.with_nulls as select * from ${schema}.enterprise_tax`);
    await admin.unsafe(`insert into ${schema}.with_nulls values ('91330100MA27XK1A5E', '330105', null, 1.00, 'n')`);
    const declared = (nulls: ColumnSpec["nulls"]) =>
      columns.map((c) => (c.name === "tax_paid_fen" ? { ...c, nulls } : c));
    await expect(storeOver("with_nulls", declared("refuse")).aggregate("ds_tax", "tax_paid_fen", sum)).rejects.toThrow(
      /1 row hold NULL in tax_paid_fen, which its owner declared never NULL/,
    );
    expect(await storeOver("with_nulls", declared("skip")).aggregate("ds_tax", "tax_paid_fen", sum)).toEqual([
      3n,
      120_000_000_012n,
    ]);
    expect(await storeOver("with_nulls", declared("count")).aggregate("ds_tax", "tax_paid_fen", sum)).toEqual([
      4n,
      120_000_000_012n,
    ]);
    // A NULL in a column the job does not read does not matter.
    expect(await storeOver("with_nulls").aggregate("ds_tax", "turnover_yuan", sum)).toEqual([4n, 123_457_900n]);
  });

  it("runs read-only, within a statement timeout and a bounded pool", async () => {
    const engine = pools.engine({ url: serverUrl as string, schema, table: "enterprise_tax" });
    const drain = async (sql: string) => {
      for await (const _ of engine.rows({ sql, params: [] })) {
      }
    };
    await expect(drain(`insert into ${schema}.enterprise_tax (uscc) values ('written')`)).rejects.toThrow(
      /read-only transaction/,
    );
    const impatient = new PostgresPools({ maxConnections: 1, statementTimeoutMs: 200 });
    try {
      const slow = impatient.engine({ url: serverUrl as string, schema, table: "enterprise_tax" });
      await expect(
        (async () => {
          for await (const _ of slow.rows({ sql: "select pg_sleep(3)", params: [] })) {
          }
        })(),
      ).rejects.toThrow(/statement timeout/);
    } finally {
      await impatient.close();
    }
    const store = storeOver("enterprise_tax");
    await Promise.all(Array.from({ length: 6 }, () => store.aggregate("ds_tax", "tax_paid_fen", sum)));
    const [open] =
      await admin`select count(*)::int as n from pg_stat_activity where application_name = 'sluice-compute-node'`;
    expect(open?.n).toBeLessThanOrEqual(2);
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
        datasets: [{ id: "ds_tax", postgres: { url: asRole(), schema, table: "enterprise_tax" }, columns }],
      };
      writeFileSync(path.join(dir, "node.json"), JSON.stringify(config));
      const node = await spawnComputeNode(path.join(dir, "node.json"));
      try {
        const health = (await (await fetch(`${node.url}/health`)).json()) as { datasets: { id: string }[] };
        expect(health.datasets).toMatchObject([{ id: "ds_tax" }]);
      } finally {
        await node.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
