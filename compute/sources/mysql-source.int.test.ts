import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import mysql from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnComputeNode } from "../../gateway/node-processes.js";
import { generateEd25519KeyPair } from "../../lib/ed25519.js";
import type { ColumnSpec, NodeDataStore } from "../node/datastore.js";
import { MysqlPools, positional } from "./mysql-engine.js";
import { createSqlDataStore } from "./sql-store.js";

// The owner's own MySQL or MariaDB as a node's live source; runs where a server is given (CI: the
// machine's MariaDB, TEST_MYSQL_URL).
const serverUrl = process.env.TEST_MYSQL_URL;

describe("MySQL's placeholders", () => {
  it("binds each $n where it stands, again where it recurs, lists as JSON, nothing inside quotes", () => {
    expect(
      positional({
        sql: `SELECT "a$1" FROM t WHERE x = $1 AND y IN ($2, $3) AND z = '$1' AND ($1 OR w) AND v = $4`,
        params: ["p", "q", "it's", ["E1", 'E"2']],
      }),
    ).toEqual({
      sql: `SELECT "a$1" FROM t WHERE x = ? AND y IN (?, ?) AND z = '$1' AND (? OR w) AND v = ?`,
      values: ["p", "q", "it's", "p", '["E1","E\\"2"]'],
    });
    expect(() => positional({ sql: "SELECT $2", params: ["one"] })).toThrow(/no parameter \$2/);
  });
});

describe.skipIf(!serverUrl)("a compute node querying its owner's MySQL live", () => {
  const database = `owner_${randomBytes(4).toString("hex")}`;
  const account = `sluice_node_${randomBytes(4).toString("hex")}`;
  const columns: ColumnSpec[] = [
    { name: "uscc", type: "string", level: 1 },
    { name: "district", type: "string", level: 1 },
    { name: "tax_paid_fen", type: "integer", level: 3 },
    { name: "turnover_yuan", type: "decimal", level: 2 },
  ];
  const databaseUrl = (user?: string) => {
    const url = new URL(serverUrl as string);
    url.pathname = `/${database}`;
    if (user) {
      url.username = user;
      url.password = "node-password";
    }
    return url.toString();
  };
  const pools = new MysqlPools({ maxConnections: 2, statementTimeoutMs: 10_000 });
  const storeOver = (table: string, registered = columns, url = databaseUrl(), on = pools): NodeDataStore =>
    createSqlDataStore([{ id: "ds_tax", columns: registered, engine: on.engine({ url, table }) }]);
  const sum = { aggregate: "sum" as const, filters: [] };
  let admin: mysql.Connection;
  const run = (sql: string) => admin.query(sql);

  beforeAll(async () => {
    admin = await mysql.createConnection({ uri: serverUrl as string, multipleStatements: true });
    await run(`CREATE DATABASE ${database} CHARACTER SET utf8mb4`);
    await run(
      `CREATE TABLE ${database}.enterprise_tax (uscc varchar(18), district varchar(6), tax_paid_fen bigint, turnover_yuan decimal(16,2), secret text)`,
    );
    await run(`INSERT INTO ${database}.enterprise_tax VALUES
      ('91330100MA27XK1A2B', '330102', 120000000000, 1234567.89, 'x'),
      ('91330100MA27XK1A3C', '330105', 5, 0.10, 'y'),
      ('91330100MA27XK1A4D', '330102', 7, 10.01, 'z')`);
    // What an owner grants a node: read the registered columns, nothing else, no writes.
    await run(`CREATE USER '${account}'@'%' IDENTIFIED BY 'node-password'`);
    await run(
      `GRANT SELECT (uscc, district, tax_paid_fen, turnover_yuan) ON ${database}.enterprise_tax TO '${account}'@'%'`,
    );
  });
  afterAll(async () => {
    await pools.close();
    await run(`DROP DATABASE IF EXISTS ${database}`);
    await run(`DROP USER IF EXISTS '${account}'@'%'`);
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
    await run(`INSERT INTO ${database}.enterprise_tax VALUES ('91330100MA27XK1A5E', '330105', 1, 0.01, 'w')`);
    try {
      expect(await store.aggregate("ds_tax", "tax_paid_fen", sum)).toEqual([4n, 120_000_000_013n]);
    } finally {
      await run(`DELETE FROM ${database}.enterprise_tax WHERE uscc = '91330100MA27XK1A5E'`);
    }
  });

  it("compares text as PostgreSQL does: case and trailing spaces count", async () => {
    await run(`CREATE TABLE ${database}.spellings (uscc varchar(18), district varchar(8), tax_paid_fen bigint, turnover_yuan decimal(16,2))
      COLLATE utf8mb4_general_ci`);
    await run(
      `INSERT INTO ${database}.spellings VALUES ('a', '330102', 1, 0), ('b', '330102 ', 10, 0), ('c', 'X', 100, 0), ('d', 'x', 1000, 0)`,
    );
    const store = storeOver("spellings");
    const grouped = await store.aggregate("ds_tax", "tax_paid_fen", {
      aggregate: "sum",
      filters: [],
      groupBy: { field: "district", values: ["330102", "x"] },
    });
    expect(grouped).toEqual([1n, 1n, 1n, 1000n]);
  });

  it("works under an account with SELECT on the registered columns only, and refuses a column it may not read, naming it", async () => {
    const accountPools = new MysqlPools({ maxConnections: 1, statementTimeoutMs: 10_000 });
    try {
      const store = storeOver("enterprise_tax", columns, databaseUrl(account), accountPools);
      expect(await store.aggregate("ds_tax", "tax_paid_fen", sum)).toEqual([3n, 120_000_000_012n]);
      const wider = storeOver(
        "enterprise_tax",
        [...columns, { name: "secret", type: "string" }],
        databaseUrl(account),
        accountPools,
      );
      await expect(wider.aggregate("ds_tax", "tax_paid_fen", sum)).rejects.toThrow(
        /column secret is not in .*enterprise_tax \(or this node may not read it\)/,
      );
    } finally {
      await accountPools.close();
    }
  });

  it("refuses a table whose columns no longer match the registered schema, naming the column", async () => {
    await run(`ALTER TABLE ${database}.enterprise_tax RENAME COLUMN turnover_yuan TO turnover`);
    try {
      await expect(storeOver("enterprise_tax").aggregate("ds_tax", "tax_paid_fen", sum)).rejects.toThrow(
        /column turnover_yuan is not in/,
      );
    } finally {
      await run(`ALTER TABLE ${database}.enterprise_tax RENAME COLUMN turnover TO turnover_yuan`);
    }
    await run(
      `CREATE TABLE ${database}.drifted (uscc text, district bigint, tax_paid_fen bigint, turnover_yuan decimal)`,
    );
    await expect(storeOver("drifted").aggregate("ds_tax", "tax_paid_fen", sum)).rejects.toThrow(
      /column district is bigint in .*drifted; its registered schema says string/,
    );
    await expect(storeOver("missing").aggregate("ds_tax", "tax_paid_fen", sum)).rejects.toThrow(
      /column uscc is not in .*missing/,
    );
  });

  it("treats a NULL as its column declares: refused naming the column, its row skipped, or counted as SQL counts", async () => {
    await run(`CREATE TABLE ${database}.with_nulls AS SELECT * FROM ${database}.enterprise_tax`);
    await run(`INSERT INTO ${database}.with_nulls VALUES ('91330100MA27XK1A5E', '330105', NULL, 1.00, 'n')`);
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
  });

  it("runs read-only, within a statement timeout and a bounded pool", async () => {
    const engine = pools.engine({ url: databaseUrl(), table: "enterprise_tax" });
    const drain = async (on: typeof engine, sql: string) => {
      for await (const _ of on.rows({ sql, params: [] })) {
      }
    };
    await expect(drain(engine, `INSERT INTO ${database}.enterprise_tax (uscc) VALUES ('written')`)).rejects.toThrow(
      /READ ONLY transaction/i,
    );
    const impatient = new MysqlPools({ maxConnections: 1, statementTimeoutMs: 200 });
    try {
      const slow = impatient.engine({ url: databaseUrl(), table: "enterprise_tax" });
      await expect(drain(slow, "SELECT SLEEP(3)")).rejects.toThrow(
        /max_statement_time|maximum statement execution time/,
      );
    } finally {
      await impatient.close();
    }
    const bounded = new MysqlPools({ maxConnections: 2, statementTimeoutMs: 10_000 });
    try {
      const store = storeOver("enterprise_tax", columns, databaseUrl(account), bounded);
      await Promise.all(Array.from({ length: 6 }, () => store.aggregate("ds_tax", "tax_paid_fen", sum)));
      const [[open]] = (await admin.query({
        sql: "SELECT count(*) FROM information_schema.processlist WHERE user = ?",
        rowsAsArray: true,
        values: [account],
      })) as unknown as [[[number]]];
      expect(open[0]).toBeGreaterThan(0);
      expect(open[0]).toBeLessThanOrEqual(2);
    } finally {
      await bounded.close();
    }
  });

  it("serves it from a node process started with that configuration", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "sluice-node-mysql-"));
    try {
      writeFileSync(path.join(dir, "node.pem"), generateEd25519KeyPair().privateKeyPem);
      const config = {
        nodeId: "node_mysql",
        ownerId: "owner_tax",
        keyFile: "node.pem",
        gatewayPublicKey: generateEd25519KeyPair().publicKey,
        ownerPublicKeys: [generateEd25519KeyPair().publicKey],
        peers: [],
        datasets: [{ id: "ds_tax", mysql: { url: databaseUrl(account), table: "enterprise_tax" }, columns }],
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
