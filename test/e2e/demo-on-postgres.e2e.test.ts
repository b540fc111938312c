import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_OWNER_SCHEMA } from "../../compute/index.js";
import { type Platform, startPlatform } from "../../gateway/platform.js";
import { createLogger } from "../../lib/logger.js";
import { openFreshPostgres } from "../support/databases.js";
import { demoBankCli } from "../support/demo-cli.js";

const serverUrl = process.env.TEST_DATABASE_URL;

// The demo on a PostgreSQL server (DATABASE_URL): the tax bureau's rows are a table there, queried
// live by its node; the social insurance fund's a Parquet file through DuckDB. A joined query
// across both runs, and a row the bureau adds counts in the next job.
describe.skipIf(!serverUrl)(
  "the demo with DATABASE_URL: one department's data in PostgreSQL, another's in Parquet",
  () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "sluice-demo-pg-"));
    let platform: Platform;
    let database: Awaited<ReturnType<typeof openFreshPostgres>>;
    const sluice = demoBankCli(dataDir, () => platform.url);

    beforeAll(async () => {
      database = await openFreshPostgres(serverUrl as string);
    }, 60_000);
    afterAll(async () => {
      await platform?.stop();
      await database?.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it("configures each node on its source and answers a joined count over both, new rows counting", async () => {
      platform = await startPlatform({
        dataDir,
        host: "127.0.0.1",
        port: 0,
        demo: true,
        databaseUrl: database.url,
        anchorIntervalMs: 100,
        anchorMaxBatch: 256,
        logger: createLogger({ service: "gateway", level: "silent" }),
      });
      const config = (key: string) =>
        JSON.parse(readFileSync(path.join(dataDir, "nodes", key, "node.json"), "utf8")) as {
          datasets: { postgres?: { schema: string }; files?: { format: string } }[];
        };
      expect(config("tax").datasets[0]?.postgres?.schema).toBe(DEMO_OWNER_SCHEMA);
      expect(config("social").datasets[0]?.files?.format).toBe("parquet");
      const join = await sluice("scenarios", "--mode", "join", "--id-only");
      const count = () =>
        sluice(
          "sql",
          "SELECT COUNT(*) FROM ds_enterprise_tax tax JOIN ds_social_insurance si ON tax.uscc = si.uscc",
          "--scenario",
          join,
        );
      expect(await count()).toMatch(/^usage record: rec_/m);
      // The bureau's table gains a second row for one enterprise: the next job reads it, and refuses
      // the join it now makes (one row a key is what the scenario allows).
      const sql = postgres(database.url, { max: 1, onnotice: () => {} });
      try {
        const [first] = await sql`select * from ${sql(DEMO_OWNER_SCHEMA)}.ds_enterprise_tax limit 1`;
        await sql`insert into ${sql(DEMO_OWNER_SCHEMA)}.ds_enterprise_tax ${sql(first as Record<string, unknown>)}`;
      } finally {
        await sql.end();
      }
      await expect(count()).rejects.toMatchObject({ stderr: expect.stringMatching(/a key with 2 rows/) });
    }, 180_000);
  },
);
