import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newEncryptionKeys } from "../../compute/mpc/channel.js";
import { blindOwn, newBlindingKey } from "../../compute/psi/blind.js";
import { PsiPool } from "../../compute/psi/pool.js";
import { createApp } from "../../gateway/app.js";
import { makeUscc } from "../../lib/uscc.js";
import { createClient, privateSetIntersection, type SluiceApiError } from "../../sdk/index.js";
import { jobs, usageRecords } from "../../store/index.js";
import { testDatabases } from "../support/databases.js";
import { demoRows, SOCIAL, TAX } from "../support/demo-rows.js";
import { YEAR_WINDOW } from "../support/gateway.js";
import { testDirectory } from "../support/test-directory.js";
import { startWorld, type World } from "../support/world.js";

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "sdk", "bin", "sluice.mjs");
const run = promisify(execFile);
const [{ open }] = testDatabases() as [ReturnType<typeof testDatabases>[number]];
const K = 20;

describe("PSI-sum and two owners' sets: the tax paid by a bank's applicants, and who is known to both bureaus", () => {
  let world: World;
  let scenarioId: string;
  let taxRows: Record<string, string>[];
  let insured: Set<string>;
  const pool = new PsiPool(2);
  const strangers = Array.from({ length: 60 }, (_, i) => makeUscc("92", "330100", `XW${String(i).padStart(7, "0")}`));

  beforeAll(async () => {
    world = await startWorld(await open());
    const scenario = await world.client(world.operator).proposeScenario({
      purpose: "Tax paid by our loan applicants, and how many are known to the tax and social insurance funds",
      fields: [
        `${TAX.dataset}.uscc`,
        `${TAX.dataset}.employees`,
        `${TAX.dataset}.tax_paid_fen`,
        `${SOCIAL.dataset}.uscc`,
      ],
      computeModes: ["psi"],
      queryShapes: ["psi-size", "psi-sum"],
      minGroupSize: K,
      epsilonPerQuery: 1,
      epsilonBudget: 50,
      queryQuota: 50,
      pricePerQueryFen: 2_000,
      platformShareBasisPoints: 1000,
      ...YEAR_WINDOW,
    });
    for (const owner of world.owners)
      await world.client(owner.key).decideScenario(scenario.id, { decision: "approve" });
    scenarioId = scenario.id;
    taxRows = demoRows(world.gw.dataDir, TAX.owner, TAX.dataset);
    insured = new Set(demoRows(world.gw.dataDir, SOCIAL.owner, SOCIAL.dataset).map((r) => r.uscc as string));
  }, 120_000);
  afterAll(async () => {
    await pool.close();
    await world?.stop();
  });

  const psi = (ids: readonly string[], extra: Record<string, unknown>) =>
    privateSetIntersection(
      world.client(world.operator),
      { scenarioId, datasetId: TAX.dataset, idField: "uscc", ids, ...extra },
      { pool },
    );
  const fail = (promise: Promise<unknown>) =>
    promise.then(
      () => ({ status: 0, type: "", detail: "" }),
      (e: SluiceApiError) => ({ status: e.status, type: String(e.problem?.type ?? ""), detail: e.message }),
    );

  it("sums the owner's column over the applicants who are taxpayers, each clamped to the bounds, and meters it", async () => {
    const chosen = taxRows.slice(0, 150);
    const applicants = [...chosen.map((r) => r.uscc as string), ...strangers];
    const exact = (cap: number) => chosen.reduce((sum, r) => sum + Math.min(Number(r.employees), cap), 0);
    const outcome = await psi(applicants, { output: "sum", value: { field: "employees", min: 0, max: 1_000 } });
    expect(outcome).toMatchObject({ size: 150, sum: exact(1_000), suppressed: false, ownerCount: taxRows.length });
    const clamped = await psi(applicants, { output: "sum", value: { field: "employees", min: 0, max: 20 } });
    expect(clamped.sum).toBe(exact(20));
    expect(clamped.sum).toBeLessThan(outcome.sum as number);
    const [record] = await world.gw.database.db
      .select()
      .from(usageRecords)
      .where(eq(usageRecords.jobId, outcome.jobId));
    expect(record?.record).toMatchObject({ computeMode: "psi", queryShape: "psi-sum", feeFen: 2_000 });
    const [job] = await world.gw.database.db.select().from(jobs).where(eq(jobs.id, outcome.jobId));
    expect(job?.result).toMatchObject({ valueField: "employees", size: 150, bounds: { min: 0, max: 1_000 } });
  });

  it("withholds a sum over fewer than k matched entities", async () => {
    const few = taxRows.slice(0, 4).map((r) => r.uscc as string);
    const outcome = await psi([...few, ...strangers], {
      output: "sum",
      value: { field: "employees", min: 0, max: 1_000 },
    });
    expect(outcome).toMatchObject({ size: 4, sum: null, suppressed: true });
  });

  it("releases a level-3 column's sum only with noise, scaled to the bounds, and refuses it without", async () => {
    const client = world.client(world.operator);
    const before = await client.getScenario(scenarioId);
    const applicants = taxRows.slice(0, 100).map((r) => r.uscc as string);
    const value = { field: "tax_paid_fen", min: 0, max: 5_000_000 };
    const refused = await fail(psi(applicants, { output: "sum", value }));
    expect(refused).toMatchObject({ status: 403, type: expect.stringMatching(/denied/) });
    expect(refused.detail).toMatch(/noise|ε|epsilon/i);
    expect((await client.getScenario(scenarioId)).queriesUsed).toBe(before.queriesUsed);
    const noisy = await psi(applicants, { output: "sum", value, epsilon: 1 });
    const exact = taxRows.slice(0, 100).reduce((sum, r) => sum + Math.min(Number(r.tax_paid_fen), 5_000_000), 0);
    // Discrete Laplace of scale 5,000,000/ε: 12 standard deviations bound a sample.
    expect(Math.abs((noisy.sum as number) - exact)).toBeLessThan(12 * Math.SQRT2 * 5_000_000);
    const [job] = await world.gw.database.db.select().from(jobs).where(eq(jobs.id, noisy.jobId));
    expect(job?.result).toMatchObject({ noise: { mechanism: "discrete-laplace", epsilon: 1, scale: 5_000_000 } });
  });

  it("counts the applicants in both owners' sets, or in either", async () => {
    const chosen = taxRows.slice(100, 250).map((r) => r.uscc as string);
    const applicants = [...chosen, ...strangers, chosen[0] as string];
    const both = chosen.filter((c) => insured.has(c)).length;
    const combineWith = (op: "union" | "intersection") => ({ datasetId: SOCIAL.dataset, idField: "uscc", op });
    const intersection = await psi(applicants, { combineWith: combineWith("intersection") });
    expect(intersection).toMatchObject({ size: both, suppressed: false, secondOwnerCount: insured.size });
    expect(both).toBeLessThan(chosen.length);
    const union = await psi(applicants, { combineWith: combineWith("union") });
    expect(union.size).toBe(chosen.length);
    const [record] = await world.gw.database.db.select().from(usageRecords).where(eq(usageRecords.jobId, union.jobId));
    expect(record?.record).toMatchObject({ queryShape: "psi-size" });
    const [job] = await world.gw.database.db.select().from(jobs).where(eq(jobs.id, union.jobId));
    expect(job?.result).toMatchObject({
      combine: { op: "union", datasets: [{ datasetId: TAX.dataset }, { datasetId: SOCIAL.dataset }] },
    });
  });

  it("runs a sum and a two-owner size from the command line", async () => {
    const dir = testDirectory("sluice-psi-sum-");
    const keyFile = path.join(dir, "bank.key.json");
    writeFileSync(keyFile, JSON.stringify(world.operator));
    const chosen = taxRows.slice(0, 30);
    const idsFile = path.join(dir, "applicants.txt");
    writeFileSync(idsFile, `${[...chosen.map((r) => r.uscc), ...strangers.slice(0, 5)].join("\n")}\n`);
    const common = ["--url", world.url, "--key", keyFile, "--scenario", scenarioId, "--dataset", TAX.dataset];
    const sum = await run(process.execPath, [
      bin,
      "psi",
      ...common,
      "--id-field",
      "uscc",
      "--ids",
      idsFile,
      "--sum",
      "employees",
      "--bounds",
      "0,1000",
    ]);
    const exact = chosen.reduce((total, r) => total + Math.min(Number(r.employees), 1_000), 0);
    expect(sum.stdout).toMatch(new RegExp(`^sum of employees: ${exact}$`, "m"));
    expect(sum.stdout).toMatch(/^matched: 30 of the owner's entities/m);
    const both = await run(process.execPath, [
      bin,
      "psi",
      ...common,
      "--id-field",
      "uscc",
      "--ids",
      idsFile,
      "--intersection",
      `${SOCIAL.dataset}.uscc`,
    ]);
    const expected = chosen.filter((r) => insured.has(r.uscc as string)).length;
    expect(both.stdout).toMatch(new RegExp(`^intersection with the intersection: ${expected}$`, "m"));
  });

  it("charges a sum whose answers were read once its window expires without a release", async () => {
    // A second gateway on the same database, keys and chain whose PSI window is short enough to wait out.
    const app = createApp({ ...world.gw.deps, limits: { psiWindowMs: 5_000 } });
    const client = createClient({
      url: "http://short-window.test",
      key: world.operator,
      fetch: async (input, init) => app.request(new Request(input, init)),
    });
    const before = await client.getScenario(scenarioId);
    const value = { field: "employees", min: 0, max: 1_000, operatorKey: newEncryptionKeys().publicKey };
    const started = await client.startPsi({
      scenarioId,
      datasetId: TAX.dataset,
      idField: "uscc",
      output: "sum",
      value,
    });
    const mine = taxRows.slice(0, 30).map((r) => r.uscc as string);
    await client.sendPsiPoints(started.jobId, {
      index: 0,
      points: blindOwn(mine, newBlindingKey()).toString("base64"),
    });
    const answered = await client.answerPsi(started.jobId, { operatorChunks: 1, operatorCount: mine.length });
    expect(answered).toMatchObject({ status: "running", answerChunks: 1 });
    expect(Buffer.from((await client.psiAnswerPage(started.jobId, 0)).points, "base64")).toHaveLength(30 * 32);
    const { db } = world.gw.database;
    const ended = async () => (await db.select().from(jobs).where(eq(jobs.id, started.jobId)))[0]?.status;
    for (let waited = 0; (await ended()) === "running" && waited < 30_000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const [job] = await db.select().from(jobs).where(eq(jobs.id, started.jobId));
    expect(job).toMatchObject({
      status: "succeeded",
      result: { partial: true, ended: expect.stringMatching(/in time/) },
    });
    const records = await db.select().from(usageRecords).where(eq(usageRecords.jobId, started.jobId));
    expect(records.map((r) => r.record)).toMatchObject([{ queryShape: "psi-sum", feeFen: 2_000 }]);
    expect((await client.getScenario(scenarioId)).queriesUsed).toBe(Number(before.queriesUsed) + 1);
    expect(await fail(client.releasePsiSum(started.jobId, { matched: "", operatorPartial: "0" }))).toMatchObject({
      status: 404,
    });
  });

  it("refuses a release out of turn or twice, a malformed bitmap, and ill-formed requests", async () => {
    const client = world.client(world.operator);
    const value = { field: "employees", min: 0, max: 1_000, operatorKey: newEncryptionKeys().publicKey };
    const started = await client.startPsi({
      scenarioId,
      datasetId: TAX.dataset,
      idField: "uscc",
      output: "sum",
      value,
    });
    expect((await client.psiPage(started.jobId, 0, 0)).operatorShares).toBeDefined();
    // Released before the owner answered: out of turn.
    expect(await fail(client.releasePsiSum(started.jobId, { matched: "", operatorPartial: "0" }))).toMatchObject({
      status: 409,
    });
    await client.cancelPsi(started.jobId);

    const again = await client.startPsi({ scenarioId, datasetId: TAX.dataset, idField: "uscc", output: "sum", value });
    const answered = await client.answerPsi(again.jobId, { operatorChunks: 0, operatorCount: 0 });
    expect(answered).toMatchObject({ status: "running", answerChunks: 0 });
    // A bitmap over the wrong number of entities: the helper refuses it, and the job fails and gives its query back.
    const before = await client.getScenario(scenarioId);
    expect(
      await fail(
        client.releasePsiSum(again.jobId, { matched: Buffer.alloc(3).toString("base64"), operatorPartial: "0" }),
      ),
    ).toMatchObject({
      status: 422,
      type: expect.stringMatching(/psi-bitmap-invalid/),
      detail: expect.stringMatching(/bitmap/),
    });
    expect((await client.getScenario(scenarioId)).queriesUsed).toBe(Number(before.queriesUsed) - 1);
    expect(await fail(client.releasePsiSum(again.jobId, { matched: "", operatorPartial: "0" }))).toMatchObject({
      status: 404,
    });

    const start = (body: Record<string, unknown>) =>
      fail(client.startPsi({ scenarioId, datasetId: TAX.dataset, idField: "uscc", ...body }));
    expect(await start({ output: "sum" })).toMatchObject({ status: 400, detail: expect.stringMatching(/value/) });
    expect(await start({ value })).toMatchObject({ status: 400 });
    expect(await start({ output: "sum", value: { ...value, min: 5, max: 1 } })).toMatchObject({ status: 400 });
    expect(
      await start({ output: "membership", combineWith: { datasetId: SOCIAL.dataset, idField: "uscc", op: "union" } }),
    ).toMatchObject({ status: 400 });
    expect(await start({ combineWith: { datasetId: TAX.dataset, idField: "uscc", op: "union" } })).toMatchObject({
      status: 400,
    });
    // A column the scenario does not name is refused by the authorisation.
    expect(await start({ output: "sum", value: { ...value, field: "wages_fen" } })).toMatchObject({ status: 403 });
    for (const operatorPartial of ["x", (1n << 128n).toString(), "-1"]) {
      expect(await fail(client.releasePsiSum(again.jobId, { matched: "", operatorPartial }))).toMatchObject({
        status: 400,
      });
    }
  });
});
