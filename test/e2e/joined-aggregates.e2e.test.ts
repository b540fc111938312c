import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SluiceApiError } from "../../sdk/index.js";
import { jobs, scenarios, usageRecords } from "../../store/index.js";
import { testDatabases } from "../support/databases.js";
import { demoRows, SOCIAL, TAX } from "../support/demo-rows.js";
import { noiseTolerance } from "../support/noise.js";
import { startWorld, type World } from "../support/world.js";

const ON = [
  { datasetId: TAX.dataset, keyField: "uscc" },
  { datasetId: SOCIAL.dataset, keyField: "uscc" },
];
const FIELDS = [
  `${TAX.dataset}.uscc`,
  `${TAX.dataset}.district`,
  `${TAX.dataset}.tax_paid_fen`,
  `${SOCIAL.dataset}.uscc`,
  `${SOCIAL.dataset}.insured_employees`,
];
const TAX_BOUNDS = { min: 0, max: 200_000_000 };
const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "sdk", "bin", "sluice.mjs");
const run = promisify(execFile);

describe.each(testDatabases())("joined aggregates across departments through the gateway on $name", ({ open }) => {
  let world: World;
  let scenarioId: string;
  let tax: Record<string, string>[];
  let social: Record<string, string>[];
  let districts: string[];

  beforeAll(async () => {
    world = await startWorld(await open());
    scenarioId = await world.approvedScenario({
      purpose: "Tax paid by enterprises by insured headcount, per district",
      fields: FIELDS,
      computeModes: ["join"],
      queryShapes: ["count", "mean"],
      minGroupSize: 20,
      epsilonPerQuery: 2,
      epsilonBudget: 20,
    });
    tax = demoRows(world.gw.dataDir, TAX.owner, TAX.dataset);
    social = demoRows(world.gw.dataDir, SOCIAL.owner, SOCIAL.dataset);
    districts = [...new Set(tax.map((r) => r.district as string))].sort();
  });
  afterAll(async () => {
    await world?.stop();
  });

  /** The plaintext join of the two departments' rows, as a database would compute it. */
  const joinedRows = () => {
    const insured = new Map(social.map((r) => [r.uscc, Number(r.insured_employees)]));
    return tax.flatMap((r) => {
      const headcount = insured.get(r.uscc);
      return headcount === undefined
        ? []
        : [{ district: r.district, taxPaid: Number(r.tax_paid_fen), insured: headcount }];
    });
  };

  it("counts, per district, the taxpayers with at least 50 insured employees exactly (level-1 fields, ε = 0)", async () => {
    const job = await world.client(world.operator).runJoin({
      scenarioId,
      queryShape: "count",
      on: ON,
      filters: [{ field: `${SOCIAL.dataset}.insured_employees`, op: ">=", value: 50 }],
      groupBy: { field: `${TAX.dataset}.district`, values: districts },
    });
    expect(job.status).toBe("succeeded");
    expect(job.result.noise).toMatchObject({ mechanism: "none" });
    const expected = districts.map((d) => joinedRows().filter((r) => r.district === d && r.insured >= 50).length);
    expect(expected.some((n) => n >= 20)).toBe(true);
    const released = job.result.cells.map((cell) => (cell.suppressed ? null : cell.count));
    expect(released).toEqual(expected.map((n) => (n < 20 ? null : n)));
    const [record] = await world.gw.database.db.select().from(usageRecords).where(eq(usageRecords.jobId, job.jobId));
    expect(record?.record).toMatchObject({ computeMode: "join", queryShape: "count" });
  });

  it("answers the mean tax paid per district with the three parties' noise, charging ε once", async () => {
    const [before] = await world.gw.database.db.select().from(scenarios).where(eq(scenarios.id, scenarioId));
    const job = await world.client(world.operator).runJoin({
      scenarioId,
      queryShape: "mean",
      on: ON,
      measure: `${TAX.dataset}.tax_paid_fen`,
      bounds: TAX_BOUNDS,
      filters: [{ field: `${SOCIAL.dataset}.insured_employees`, op: ">=", value: 20 }],
      groupBy: { field: `${TAX.dataset}.district`, values: districts },
      epsilon: 2,
    });
    expect(job.result.noise).toMatchObject({ mechanism: "discrete-laplace", parties: 3, epsilon: 2 });
    const scales = (job.result.noise as unknown as { scalePerParty: { count: number; sum: number } }).scalePerParty;
    expect(scales).toEqual({ count: 1, sum: TAX_BOUNDS.max });
    let released = 0;
    for (const [i, district] of districts.entries()) {
      const rows = joinedRows().filter((r) => r.district === district && r.insured >= 20);
      const cell = job.result.cells[i] as { count: number | null; value: number | null; suppressed: boolean };
      if (cell.suppressed) continue;
      released++;
      expect(Math.abs((cell.count as number) - rows.length)).toBeLessThan(
        noiseTolerance(job.result.noise, "count", 12),
      );
      const exactSum = rows.reduce((sum, r) => sum + Math.min(TAX_BOUNDS.max, Math.max(0, r.taxPaid)), 0);
      const noisySum = (cell.value as number) * (cell.count as number);
      expect(Math.abs(noisySum - exactSum)).toBeLessThan(noiseTolerance(job.result.noise, "sum", 12));
    }
    expect(released).toBeGreaterThan(0);
    const [after] = await world.gw.database.db.select().from(scenarios).where(eq(scenarios.id, scenarioId));
    expect((after?.epsilonSpentMicro ?? 0) - (before?.epsilonSpentMicro ?? 0)).toBe(2_000_000);
  });

  it("runs the same join written as SQL, through the SDK and the sluice CLI, and refuses SQL outside the subset", async () => {
    const sql = `SELECT tax.district, COUNT(*) FROM ${TAX.dataset} tax JOIN ${SOCIAL.dataset} si ON tax.uscc = si.uscc
      WHERE si.insured_employees >= 50 AND tax.district IN (${districts.map((d) => `'${d}'`).join(", ")}) GROUP BY tax.district`;
    const expected = districts.map((d) => joinedRows().filter((r) => r.district === d && r.insured >= 50).length);
    const job = await world.client(world.operator).runSql({ scenarioId, sql });
    expect(job.structured).toMatchObject({
      queryShape: "count",
      on: ON,
      groupBy: { field: `${TAX.dataset}.district` },
    });
    expect(job.result.cells.map((c) => (c.suppressed ? null : c.count))).toEqual(
      expected.map((n) => (n < 20 ? null : n)),
    );

    const keyFile = path.join(world.gw.dataDir, "operator.key.json");
    writeFileSync(keyFile, JSON.stringify(world.operator));
    const cli = await run(process.execPath, [bin, "sql", sql, "--scenario", scenarioId, "--key", keyFile, "--json"], {
      env: { ...process.env, SLUICE_URL: world.url },
    });
    const printed = JSON.parse(cli.stdout) as { result: { cells: { count: number | null; suppressed: boolean }[] } };
    expect(printed.result.cells.map((c) => (c.suppressed ? null : c.count))).toEqual(
      expected.map((n) => (n < 20 ? null : n)),
    );

    const refused = await world
      .client(world.operator)
      .runSql({
        scenarioId,
        sql: `SELECT COUNT(*) FROM ${TAX.dataset} tax LEFT JOIN ${SOCIAL.dataset} si ON tax.uscc = si.uscc`,
      })
      .catch((e: unknown) => e as SluiceApiError);
    expect([(refused as SluiceApiError).status, (refused as SluiceApiError).message]).toEqual([
      422,
      "SQL: LEFT JOIN is not supported; only INNER JOIN … ON a.key = b.key is",
    ]);
  });

  it("refuses a join the scenario does not cover, and a field of a dataset that is not joined, charging nothing", async () => {
    const records = async () => (await world.gw.database.db.select({ n: count() }).from(usageRecords))[0]?.n;
    const before = await records();
    const outside = await world
      .client(world.operator)
      .runJoin({
        scenarioId,
        queryShape: "count",
        on: ON,
        groupBy: { field: `${TAX.dataset}.industry`, values: ["x"] },
      })
      .catch((e: unknown) => e as SluiceApiError);
    expect(outside).toBeInstanceOf(SluiceApiError);
    expect((outside as SluiceApiError).status).toBe(403);
    const stranger = await world
      .client(world.operator)
      .runJoin({ scenarioId, queryShape: "count", on: ON, filters: [{ field: "ds_other.x", op: "=", value: "a" }] })
      .catch((e: unknown) => e as SluiceApiError);
    expect((stranger as SluiceApiError).status).toBe(422);
    expect((stranger as SluiceApiError).message).toMatch(/not a field of a joined dataset/);
    expect(await records()).toBe(before);
    const failed = await world.gw.database.db.select({ n: count() }).from(jobs).where(eq(jobs.status, "running"));
    expect(failed[0]?.n).toBe(0);
  });
  it("restricts the join to the bank's own applicants: their codes ∩ both departments, counted exactly", async () => {
    const insured = new Set(social.map((r) => r.uscc));
    const applicants = [
      ...tax.slice(0, 150).map((r) => r.uscc as string),
      (tax[0]?.uscc as string).toLowerCase(), // the same code spelt otherwise counts once
      "91330100MA00000000", // a code no department holds
    ];
    const expected = tax
      .slice(0, 150)
      .filter(
        (r) => insured.has(r.uscc) && Number(social.find((s) => s.uscc === r.uscc)?.insured_employees) >= 20,
      ).length;
    expect(expected).toBeGreaterThanOrEqual(20);
    const job = await world.client(world.operator).runJoin({
      scenarioId,
      queryShape: "count",
      on: ON,
      filters: [{ field: `${SOCIAL.dataset}.insured_employees`, op: ">=", value: 20 }],
      operatorIds: applicants,
    });
    expect(job.result.cells[0]?.count).toBe(expected);
    expect(job.result.join.restrictedTo).toBe(`your list of ${applicants.length} ids`);
    // The list reached the tax bureau's node only, and no log line carries a code from it.
    expect(world.logLines.join("\n")).not.toContain(applicants[5]);
  });

  it("holds a joined result for both departments' review when the scenario asks it, and releases it when both agree", async () => {
    const reviewed = await world.approvedScenario({
      purpose: "Joined counts each department reviews before release",
      fields: FIELDS,
      computeModes: ["join"],
      queryShapes: ["count"],
      minGroupSize: 20,
      epsilonPerQuery: 2,
      epsilonBudget: 20,
      requiresResultReview: true,
    });
    const held = await world.client(world.operator).runJoin({ scenarioId: reviewed, queryShape: "count", on: ON });
    expect(held.status).toBe("awaiting_review");
    expect(await world.client(world.operator).getJob(held.jobId)).toMatchObject({ result: null, usageRecordId: null });
    const [first, second] = world.owners;
    const seen = await world.client(first?.key).getJob(held.jobId);
    const expected = joinedRows().length;
    expect((seen.result as { cells: { count: number }[] }).cells[0]?.count).toBe(expected);
    expect((await world.client(first?.key).reviewJob(held.jobId, { decision: "release" })).status).toBe(
      "awaiting_review",
    );
    const released = await world.client(second?.key).reviewJob(held.jobId, { decision: "release" });
    expect(released).toMatchObject({ status: "succeeded", usageRecordId: expect.stringMatching(/^rec_/) });
    const visible = await world.client(world.operator).getJob(held.jobId);
    expect((visible.result as { cells: { count: number }[] }).cells[0]?.count).toBe(expected);
  });

  // Last: it kills the fund's node, which the tests above need.
  it("fails cleanly and charges nothing when an owner's node is killed in the middle of a join", async () => {
    const db = world.gw.database.db;
    const node = world.nodes.find((n) => n.nodeId === `node_${SOCIAL.owner}`);
    const pid = node?.child.pid as number;
    const jobId = `job_killed_join_${Date.now()}`;
    const [before] = await db.select().from(scenarios).where(eq(scenarios.id, scenarioId));
    // Paused, the fund's node accepts the connection and never answers, while the tax bureau's computes its part.
    process.kill(pid, "SIGSTOP");
    const pending = world
      .client(world.operator)
      .runJoin({
        jobId,
        scenarioId,
        queryShape: "count",
        on: ON,
        groupBy: { field: `${TAX.dataset}.district`, values: districts },
      })
      .catch((e: unknown) => e as SluiceApiError);
    const deadline = Date.now() + 20_000;
    while (!world.logLines.some((l) => l.includes(jobId) && l.includes("join plan accepted"))) {
      if (Date.now() > deadline) throw new Error("the tax bureau's node never accepted its part of the join");
      await new Promise((r) => setTimeout(r, 20));
    }
    process.kill(pid, "SIGKILL");
    const outcome = await pending;
    expect(outcome).toBeInstanceOf(SluiceApiError);
    expect((outcome as SluiceApiError).status).toBeGreaterThanOrEqual(500);
    const [job] = await db.select().from(jobs).where(eq(jobs.id, jobId));
    expect(job?.status).toBe("failed");
    expect(await db.select().from(usageRecords).where(eq(usageRecords.jobId, jobId))).toEqual([]);
    const [after] = await db.select().from(scenarios).where(eq(scenarios.id, scenarioId));
    expect(after?.queriesUsed).toBe(before?.queriesUsed);
    expect(after?.epsilonSpentMicro).toBe(before?.epsilonSpentMicro);
    // The tax bureau's node and the helper are still up, and answer.
    const tax = world.nodes.find((n) => n.nodeId === `node_${TAX.owner}`);
    expect((await fetch(`${tax?.url}/health`)).status).toBe(200);
  }, 60_000);
});
