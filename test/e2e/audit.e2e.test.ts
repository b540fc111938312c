import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuditReport, anchorPending } from "../../ledger/index.js";
import { canonicalHash } from "../../lib/canonical-json.js";
import { jobs, usageRecords } from "../../store/index.js";
import { testDatabases } from "../support/databases.js";
import { testDirectory } from "../support/test-directory.js";
import { startWorld, type World } from "../support/world.js";

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "sdk", "bin", "sluice.mjs");
const run = promisify(execFile);
const [{ open }] = testDatabases() as [ReturnType<typeof testDatabases>[number]];

describe("the regulator's audit names every record altered, forged, deleted or inserted after anchoring", () => {
  let world: World;
  let period: { periodStart: string; periodEnd: string };
  let records: string[];
  let jobIds: string[];

  beforeAll(async () => {
    world = await startWorld(await open());
    const start = new Date(Date.now() - 1_000);
    const scenarioId = await world.approvedScenario();
    records = [];
    jobIds = [];
    for (let i = 0; i < 5; i++) {
      const job = await world.wageSum(scenarioId);
      records.push(job.usageRecordId);
      jobIds.push(job.jobId);
    }
    await anchorPending({
      db: world.gw.database.db,
      ledger: world.gw.ledger,
      gatewayPublicKey: world.gw.deps.gatewayKeys.publicKey,
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    period = { periodStart: start.toISOString(), periodEnd: new Date().toISOString() };
    await world.client().request("POST", "/settlements", period);
  }, 120_000);
  afterAll(async () => {
    await world?.stop();
  });

  const audit = () => world.client(world.regulator).request<AuditReport>("POST", "/audits", period);

  it("passes a period nobody touched: every record verified, every decision reproduced, the settlement recomputed", async () => {
    const report = await audit();
    expect(report).toMatchObject({
      ok: true,
      records: 5,
      batches: 1,
      decisionsReplayed: 5,
      statements: 1,
      findings: [],
    });
  });

  it("lists the ledger for a regulator, filtered and a page at a time", async () => {
    type Page = { records: { id: string }[]; next: string | null };
    const regulator = world.client(world.regulator);
    const list = (query: string) => regulator.request<Page>("GET", `/ledger/records${query}`);
    const seen: string[] = [];
    let page = await list("?limit=2");
    for (;;) {
      seen.push(...page.records.map((r) => r.id));
      if (!page.next) break;
      page = await list(`?limit=2&before=${page.next}`);
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen)).toEqual(new Set(records));
    expect(seen).toEqual([...records].reverse());

    const scenarioId = ((await list("?limit=1")).records[0] as { record?: { scenarioId: string } }).record?.scenarioId;
    expect((await list(`?operatorId=${world.operator.id}`)).records).toHaveLength(5);
    expect((await list(`?scenarioId=${scenarioId}&ownerId=${world.owners[0]?.key.id}`)).records).toHaveLength(5);
    expect((await list("?operatorId=nobody")).records).toHaveLength(0);
    expect(
      (await list(`?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).records,
    ).toHaveLength(0);

    const status = (query: string, client = regulator) =>
      client.request("GET", `/ledger/records${query}`).then(
        () => 200,
        (e: { status: number }) => e.status,
      );
    expect(await status("?limit=0")).toBe(400);
    expect(await status("?limit=1001")).toBe(400);
    expect(await status("?before=not-a-cursor")).toBe(400);
    expect(await status("?from=yesterday")).toBe(400);
    expect(await status("?colour=blue")).toBe(400);
    expect(await status("", world.client(world.operator))).toBe(403);

    const keyFile = path.join(testDirectory("sluice-records-"), "regulator.key.json");
    writeFileSync(keyFile, JSON.stringify(world.regulator));
    const cli = await run(process.execPath, [bin, "records", "--limit", "3", "--url", world.url, "--key", keyFile]);
    expect(cli.stdout).toMatch(/3 records\nmore: --before \S+/);
  });

  it("finds each kind of tampering in the database and names the exact record", async () => {
    const db = world.gw.database.db;
    const [altered, forged, deleted] = records as [string, string, string];
    const row = async (id: string) =>
      (await db.select().from(usageRecords).where(eq(usageRecords.id, id)))[0] as typeof usageRecords.$inferSelect;

    // Altered: the fee changed in place.
    const a = await row(altered);
    await db
      .update(usageRecords)
      .set({ record: { ...a.record, feeFen: 1 } })
      .where(eq(usageRecords.id, altered));
    // Forged: content and hash changed together, so only the gateway's signature gives it away.
    const f = await row(forged);
    const forgedContent = { ...f.record, feeFen: 2 };
    await db
      .update(usageRecords)
      .set({ record: forgedContent, recordHash: canonicalHash(forgedContent) })
      .where(eq(usageRecords.id, forged));
    // Deleted after anchoring.
    const d = await row(deleted);
    await db.delete(usageRecords).where(eq(usageRecords.id, deleted));
    // Inserted after anchoring: a record for a job that never ran, slipped into the batch.
    const [someJob] = await db
      .select()
      .from(jobs)
      .where(eq(jobs.id, jobIds[4] as string));
    await db.insert(jobs).values({ ...(someJob as typeof jobs.$inferSelect), id: "job_inserted" });
    const insertedRecord = { ...d.record, recordId: "rec_inserted", jobId: "job_inserted" };
    await db.insert(usageRecords).values({
      ...d,
      id: "rec_inserted",
      jobId: "job_inserted",
      record: insertedRecord,
      recordHash: canonicalHash(insertedRecord),
      leafIndex: 5,
    });

    const report = await audit();
    expect(report.ok).toBe(false);
    const found = (kind: string) => report.findings.filter((x) => x.kind === kind);
    expect(found("record_altered").map((x) => x.recordId)).toEqual([altered]);
    expect(
      found("record_forged")
        .map((x) => x.recordId)
        .sort(),
    ).toEqual([forged, "rec_inserted"].sort());
    expect(found("record_deleted")).toEqual([
      expect.objectContaining({ batchId: d.batchId, leafIndex: d.leafIndex, jobId: d.jobId }),
    ]);
    expect(found("record_inserted")).toEqual([expect.objectContaining({ recordId: "rec_inserted", leafIndex: 5 })]);
    expect(found("settlement_mismatch")).toHaveLength(1);

    // The same report, exported from the command line as JSON and as a page.
    const dir = testDirectory("sluice-audit-");
    const keyFile = path.join(dir, "regulator.key.json");
    writeFileSync(keyFile, JSON.stringify(world.regulator));
    const [json, html] = [path.join(dir, "audit.json"), path.join(dir, "audit.html")];
    const cli = await run(process.execPath, [
      bin,
      "audit",
      "--url",
      world.url,
      "--key",
      keyFile,
      "--from",
      period.periodStart,
      "--to",
      period.periodEnd,
      "--out",
      json,
      "--html",
      html,
    ]).catch((e: { code: number; stdout: string }) => e);
    expect((cli as { code?: number }).code).toBe(1);
    expect(JSON.parse(readFileSync(json, "utf8")).findings).toHaveLength(report.findings.length);
    const page = readFileSync(html, "utf8");
    expect(page).toContain("FAILED");
    expect(page).toContain(altered);
    expect(page).toContain("rec_inserted");
  });
});
