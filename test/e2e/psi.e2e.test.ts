import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { desc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blindOwn, newBlindingKey } from "../../compute/psi/blind.js";
import { PsiPool } from "../../compute/psi/pool.js";
import { createApp } from "../../gateway/app.js";
import { endStaleJobs } from "../../gateway/jobs/sweep.js";
import type { NodeProcess } from "../../gateway/node-processes.js";
import { makeUscc } from "../../lib/uscc.js";
import { createClient, privateSetIntersection, type SluiceApiError } from "../../sdk/index.js";
import { computeNodes, jobs, usageRecords } from "../../store/index.js";
import { testDatabases } from "../support/databases.js";
import { demoRows, TAX } from "../support/demo-rows.js";
import { YEAR_WINDOW } from "../support/gateway.js";
import { startKillSwitchProxy } from "../support/kill-switch-proxy.js";
import { testDirectory } from "../support/test-directory.js";
import { startWorld, type World } from "../support/world.js";

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "sdk", "bin", "sluice.mjs");
const run = promisify(execFile);
const [{ open }] = testDatabases() as [ReturnType<typeof testDatabases>[number]];
const K = 20;

describe("private set intersection: a bank's applicants against the tax bureau's taxpayers", () => {
  let world: World;
  let scenarioId: string;
  let taxpayers: string[];
  const pool = new PsiPool(2);
  // Valid codes the bureau does not hold: built from a prefix the demo never uses.
  const strangers = Array.from({ length: 100 }, (_, i) => makeUscc("92", "330100", `YY${String(i).padStart(7, "0")}`));

  beforeAll(async () => {
    world = await startWorld(await open());
    const scenario = await world.client(world.operator).proposeScenario({
      purpose: "How many of our loan applicants are registered taxpayers",
      fields: [`${TAX.dataset}.uscc`],
      computeModes: ["psi"],
      queryShapes: ["psi-size", "psi-membership"],
      minGroupSize: K,
      epsilonPerQuery: 1,
      epsilonBudget: 20,
      queryQuota: 50,
      pricePerQueryFen: 1_000,
      platformShareBasisPoints: 1000,
      ...YEAR_WINDOW,
    });
    const tax = world.owners.find((o) => o.demo.key === TAX.owner);
    await world.client(tax?.key).decideScenario(scenario.id, { decision: "approve" });
    scenarioId = scenario.id;
    taxpayers = demoRows(world.gw.dataDir, TAX.owner, TAX.dataset).map((r) => r.uscc as string);
  }, 120_000);
  afterAll(async () => {
    await pool.close();
    await world?.stop();
  });

  const psi = (ids: readonly string[], extra: Record<string, unknown> = {}) =>
    privateSetIntersection(
      world.client(world.operator),
      { scenarioId, datasetId: TAX.dataset, idField: "uscc", ids, ...extra },
      { pool },
    );

  it("counts the applicants who are taxpayers exactly when no noise is asked, and meters the job", async () => {
    const applicants = [...taxpayers.slice(0, 200), ...strangers].sort();
    const outcome = await psi(applicants);
    expect(outcome).toMatchObject({ size: 200, suppressed: false, ownerCount: taxpayers.length, invalid: [] });
    const [record] = await world.gw.database.db
      .select()
      .from(usageRecords)
      .where(eq(usageRecords.jobId, outcome.jobId));
    expect(record?.record).toMatchObject({ computeMode: "psi", queryShape: "psi-size", feeFen: 1_000 });
  });

  it("releases a noisy size at ε, within the noise's published scale", async () => {
    const outcome = await psi([...taxpayers.slice(0, 200), ...strangers], { epsilon: 1 });
    // Discrete Laplace of scale 1/ε = 1: standard deviation √2; 12 of them bound a sample.
    expect(Math.abs((outcome.size as number) - 200)).toBeLessThanOrEqual(17);
  });

  it("withholds a size below k", async () => {
    const outcome = await psi([...taxpayers.slice(0, 5), ...strangers]);
    expect(outcome).toMatchObject({ size: null, suppressed: true });
  });

  it("tells which applicants are taxpayers when the scenario allows membership, refusing invalid codes and counting duplicates once", async () => {
    const shared = taxpayers.slice(10, 40);
    const applicants = [...shared, ...strangers.slice(0, 20), shared[0]?.toLowerCase() as string, "NOT-A-CODE"];
    const outcome = await psi(applicants, { output: "membership" });
    expect(outcome.members?.sort()).toEqual([...shared].sort());
    expect(outcome.duplicates).toBe(1);
    expect(outcome.invalid.map((i) => i.value)).toEqual(["NOT-A-CODE"]);
  });

  it("runs from the command line with each step shown", async () => {
    const dir = testDirectory("sluice-psi-");
    const keyFile = path.join(dir, "bank.key.json");
    writeFileSync(keyFile, JSON.stringify(world.operator));
    const idsFile = path.join(dir, "applicants.txt");
    writeFileSync(
      idsFile,
      `# applicants who consented\n${[...taxpayers.slice(0, 25), ...strangers.slice(0, 5), "BAD"].join("\n")}\n`,
    );
    const { stdout, stderr } = await run(process.execPath, [
      bin,
      "psi",
      "--url",
      world.url,
      "--key",
      keyFile,
      "--scenario",
      scenarioId,
      "--dataset",
      TAX.dataset,
      "--id-field",
      "uscc",
      "--ids",
      idsFile,
    ]);
    expect(stdout).toMatch(/^intersection: 25$/m);
    expect(stdout).toMatch(/refused as invalid: 1 \(line 31\)/);
    expect(stderr).toMatch(/blinding 30 identifiers/);
  });

  it("never lets the applicants' codes reach the gateway, the node or a log", async () => {
    const stored = JSON.stringify(await world.gw.database.db.select().from(jobs));
    const logs = world.logLines.join("\n");
    for (const code of strangers.slice(0, 10)) {
      expect(stored).not.toContain(code);
      expect(logs).not.toContain(code);
    }
  });

  it("gives back what a job interrupted by a stopped gateway reserved: the sweep fails it", async () => {
    const client = world.client(world.operator);
    const before = await client.getScenario(scenarioId);
    const started = await client.startPsi({ scenarioId, datasetId: TAX.dataset, idField: "uscc" });
    expect((await client.getScenario(scenarioId)).queriesUsed).toBe(Number(before.queriesUsed) + 1);
    // As after a restart: the second round never comes, and the job is older than any job may run.
    const swept = await endStaleJobs(world.gw.deps, new Date(Date.now() + 1_000));
    expect(swept).toContain(started.jobId);
    const [job] = await world.gw.database.db.select().from(jobs).where(eq(jobs.id, started.jobId));
    expect(job).toMatchObject({ status: "failed", error: expect.stringMatching(/interrupted/) });
    expect((await client.getScenario(scenarioId)).queriesUsed).toBe(before.queriesUsed);
    expect(await endStaleJobs(world.gw.deps, new Date(Date.now() + 1_000))).toEqual([]);
    // The gateway still holds the job open; cancelling it now ends it without a second refund.
    expect(await client.cancelPsi(started.jobId)).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/interrupted/),
      ownerSessionEnded: true,
    });
    expect((await client.getScenario(scenarioId)).queriesUsed).toBe(before.queriesUsed);
    const [after] = await world.gw.database.db.select().from(jobs).where(eq(jobs.id, started.jobId));
    expect(after?.error).toMatch(/interrupted/);
  });

  it("runs with its rounds spread over two replicas on one database, each step served by the other one", async () => {
    const replicas = [world.gw.app, createApp({ ...world.gw.deps })];
    const served: number[] = [];
    const alternating = createClient({
      url: "http://replicas.test",
      key: world.operator,
      fetch: async (input, init) => {
        const replica = served.length % 2;
        served.push(replica);
        return (replicas[replica] as (typeof replicas)[number]).request(new Request(input, init));
      },
    });
    const applicants = [...taxpayers.slice(0, 60), ...strangers.slice(0, 20)];
    const outcome = await privateSetIntersection(
      alternating,
      { scenarioId, datasetId: TAX.dataset, idField: "uscc", ids: applicants },
      { pool },
    );
    expect(outcome).toMatchObject({ size: 60, ownerCount: taxpayers.length });
    expect(served.length).toBeGreaterThanOrEqual(4);
    const records = await world.gw.database.db.select().from(usageRecords).where(eq(usageRecords.jobId, outcome.jobId));
    expect(records).toHaveLength(1);
  });

  it("cancels an open job at the operator's word: the reservation comes back and the owner drops its session", async () => {
    const client = world.client(world.operator);
    const before = await client.getScenario(scenarioId);
    const started = await client.startPsi({ scenarioId, datasetId: TAX.dataset, idField: "uscc" });
    expect(await client.cancelPsi(started.jobId)).toEqual({
      jobId: started.jobId,
      status: "failed",
      error: "cancelled by the operator",
      ownerSessionEnded: true,
    });
    const [job] = await world.gw.database.db.select().from(jobs).where(eq(jobs.id, started.jobId));
    expect(job).toMatchObject({ status: "failed", error: "cancelled by the operator" });
    expect((await client.getScenario(scenarioId)).queriesUsed).toBe(before.queriesUsed);

    const status = (promise: Promise<unknown>) =>
      promise.then(
        () => 200,
        (e: SluiceApiError) => e.status,
      );
    expect(await status(client.answerPsi(started.jobId, { operatorChunks: 0, operatorCount: 0 }))).toBe(404);
    expect(await status(client.cancelPsi(started.jobId))).toBe(404);
    expect(await status(client.cancelPsi("job_never_started"))).toBe(404);
    const again = await client.startPsi({ scenarioId, datasetId: TAX.dataset, idField: "uscc" });
    expect(await status(world.client(world.regulator).cancelPsi(again.jobId))).toBe(403);
    expect((await client.cancelPsi(again.jobId)).ownerSessionEnded).toBe(true);
  });

  /** Starts a membership job and sends one chunk of the operator's points: the answers come back, so a result has left. */
  async function membershipAnswered(ids: string[]) {
    const client = world.client(world.operator);
    const started = await client.startPsi({
      scenarioId,
      datasetId: TAX.dataset,
      idField: "uscc",
      output: "membership",
    });
    const points = blindOwn(ids, newBlindingKey());
    const receipt = await client.sendPsiPoints(started.jobId, { index: 0, points: points.toString("base64") });
    expect(Buffer.from(receipt.answers as string, "base64")).toHaveLength(points.length);
    return started.jobId;
  }
  const recordOf = async (jobId: string) =>
    (await world.gw.database.db.select().from(usageRecords).where(eq(usageRecords.jobId, jobId)))[0];

  it("charges a membership job cancelled after its answers went out, once", async () => {
    const client = world.client(world.operator);
    const before = await client.getScenario(scenarioId);
    const jobId = await membershipAnswered(taxpayers.slice(0, 30));
    const cancelled = await client.cancelPsi(jobId);
    const record = await recordOf(jobId);
    expect(cancelled).toEqual({
      jobId,
      status: "succeeded",
      charged: true,
      usageRecordId: record?.id,
      ownerSessionEnded: true,
    });
    expect(record?.record).toMatchObject({ queryShape: "psi-membership", feeFen: 1_000 });
    const [job] = await world.gw.database.db.select().from(jobs).where(eq(jobs.id, jobId));
    expect(job).toMatchObject({
      status: "succeeded",
      result: { partial: true, ended: expect.stringMatching(/cancel/) },
    });
    const after = await client.getScenario(scenarioId);
    expect(after.queriesUsed).toBe(Number(before.queriesUsed) + 1);
    expect(after.epsilonSpent).toBe(before.epsilonSpent);
    // Nothing more is given back or charged: not by a second cancellation, nor by the sweep.
    await expect(client.cancelPsi(jobId)).rejects.toMatchObject({ status: 404 });
    expect(await endStaleJobs(world.gw.deps, new Date(Date.now() + 1_000))).toEqual([]);
    expect((await client.getScenario(scenarioId)).queriesUsed).toBe(after.queriesUsed);
    expect(await world.gw.database.db.select().from(usageRecords).where(eq(usageRecords.jobId, jobId))).toHaveLength(1);
  });

  it("charges a membership job whose answers went out when a stopped gateway's sweep ends it", async () => {
    const client = world.client(world.operator);
    const before = await client.getScenario(scenarioId);
    const jobId = await membershipAnswered(taxpayers.slice(0, 5));
    expect(await endStaleJobs(world.gw.deps, new Date(Date.now() + 1_000))).toEqual([jobId]);
    expect((await recordOf(jobId))?.record).toMatchObject({ queryShape: "psi-membership" });
    expect((await client.getScenario(scenarioId)).queriesUsed).toBe(Number(before.queriesUsed) + 1);
    await client.cancelPsi(jobId);
    expect((await client.getScenario(scenarioId)).queriesUsed).toBe(Number(before.queriesUsed) + 1);
  });

  it("shows progress chunk by chunk, and an aborted run cancels its job", async () => {
    const client = world.client(world.operator);
    const applicants = [...taxpayers.slice(0, 300), ...strangers];
    const seen: [number, number][] = [];
    const done = await privateSetIntersection(
      client,
      { scenarioId, datasetId: TAX.dataset, idField: "uscc", ids: applicants },
      { pool, onProgress: (count, total) => seen.push([count, total]) },
    );
    expect(done.size).toBe(300);
    const total = applicants.length + done.ownerCount;
    expect(seen.every(([, t]) => t === total)).toBe(true);
    expect(seen.map(([count]) => count)).toEqual([...seen.map(([count]) => count)].sort((a, b) => a - b));
    expect(seen.at(-1)?.[0]).toBe(total);

    const before = await client.getScenario(scenarioId);
    const interrupt = new AbortController();
    const run = privateSetIntersection(
      client,
      { scenarioId, datasetId: TAX.dataset, idField: "uscc", ids: applicants },
      { pool, signal: interrupt.signal, onProgress: () => interrupt.abort(new Error("interrupted")) },
    );
    await expect(run).rejects.toThrow("interrupted");
    const [cancelled] = await world.gw.database.db
      .select()
      .from(jobs)
      .where(eq(jobs.error, "cancelled by the operator"))
      .orderBy(desc(jobs.createdAt))
      .limit(1);
    expect(cancelled?.status).toBe("failed");
    expect((await client.getScenario(scenarioId)).queriesUsed).toBe(before.queriesUsed);
  });

  it("refuses a second answer, a chunk and a cancellation while the owner answers, and meters the job once", async () => {
    const client = world.client(world.operator);
    const { db } = world.gw.database;
    const node = world.nodes.find((n) => n.nodeId === `node_${TAX.owner}`) as NodeProcess;
    const proxy = await startKillSwitchProxy(() => node.url);
    await db.update(computeNodes).set({ url: proxy.url }).where(eq(computeNodes.id, node.nodeId));
    let letGo = () => {};
    const released = new Promise<void>((resolve) => {
      letGo = resolve;
    });
    try {
      let arrived = () => {};
      const answering = new Promise<void>((resolve) => {
        arrived = resolve;
      });
      // The owner's answer is held on its way to the node: the gateway is answering the job.
      proxy.arm(async () => {
        arrived();
        await released;
      }, "/psi/answers");
      const before = await client.getScenario(scenarioId);
      const run = psi([...taxpayers.slice(0, 40), ...strangers.slice(0, 10)]);
      await answering;
      const [answered] = await db
        .select()
        .from(jobs)
        .where(eq(jobs.status, "running"))
        .orderBy(desc(jobs.createdAt))
        .limit(1);
      const jobId = answered?.id as string;
      const refusal = (promise: Promise<unknown>) =>
        promise.then(
          () => ({ status: 200, detail: "" }),
          (e: SluiceApiError) => ({ status: e.status, detail: e.message }),
        );
      const beingAnswered = { status: 409, detail: expect.stringMatching(/being answered/) };
      expect(await refusal(client.answerPsi(jobId, { operatorChunks: 1, operatorCount: 50 }))).toMatchObject(
        beingAnswered,
      );
      const point = Buffer.alloc(32);
      point[0] = 9;
      expect(await refusal(client.sendPsiPoints(jobId, { index: 1, points: point.toString("base64") }))).toMatchObject(
        beingAnswered,
      );
      expect(await refusal(client.cancelPsi(jobId))).toMatchObject(beingAnswered);
      letGo();
      expect((await run).size).toBe(40);
      const [finished] = await db.select().from(jobs).where(eq(jobs.id, jobId));
      expect(finished?.status).toBe("succeeded");
      expect((await client.getScenario(scenarioId)).queriesUsed).toBe(Number(before.queriesUsed) + 1);
    } finally {
      letGo();
      await db.update(computeNodes).set({ url: node.url }).where(eq(computeNodes.id, node.nodeId));
      await proxy.close();
    }
  });

  it("refuses malformed points, an answer to someone else's job, and a column the scenario does not name", async () => {
    const client = world.client(world.operator);
    const fail = (promise: Promise<unknown>) =>
      promise.then(
        () => ({ status: 0, type: "" }),
        (e: SluiceApiError) => ({ status: e.status, type: String(e.problem?.type ?? ""), detail: e.message }),
      );
    const before = await client.getScenario(scenarioId);
    const started = await client.startPsi({ scenarioId, datasetId: TAX.dataset, idField: "uscc" });
    // A point of small order (u = 0) among the operator's points: the node refuses it by name.
    const bad = Buffer.alloc(64);
    bad[32] = 9;
    expect(await fail(client.sendPsiPoints(started.jobId, { index: 0, points: bad.toString("base64") }))).toMatchObject(
      {
        status: 422,
        type: expect.stringMatching(/psi-point-invalid/),
      },
    );
    const [failed] = await world.gw.database.db.select().from(jobs).where(eq(jobs.id, started.jobId));
    expect(failed?.status).toBe("failed");
    // Its session is gone, and the reservation was given back.
    expect(await fail(client.psiPage(started.jobId, 0, 0))).toMatchObject({ status: 404 });
    expect((await client.getScenario(scenarioId)).queriesUsed).toBe(before.queriesUsed);
    // Another operator cannot touch this operator's job.
    const other = await client.startPsi({ scenarioId, datasetId: TAX.dataset, idField: "uscc" });
    const regulator = world.client(world.regulator);
    expect(await fail(regulator.answerPsi(other.jobId, { operatorChunks: 0, operatorCount: 0 }))).toMatchObject({
      status: 403,
    });
    expect(await fail(regulator.psiPage(other.jobId, 0, 0))).toMatchObject({ status: 403 });
    // An answer that leaves chunks out, a page past the owner's set, a second owner this job does not
    // have, and a chunk sent twice are refused.
    const own = (await client.psiPage(other.jobId, 0, 0)).points;
    expect(await fail(client.psiPage(other.jobId, 1, 0))).toMatchObject({ status: 404 });
    expect(await fail(client.psiPage(other.jobId, 0, 99_999))).toMatchObject({ status: 400 });
    const points = Buffer.from(own, "base64").subarray(0, 64).toString("base64");
    await client.sendPsiPoints(other.jobId, { index: 0, points });
    expect(await fail(client.sendPsiPoints(other.jobId, { index: 0, points }))).toMatchObject({ status: 409 });
    expect(await fail(client.answerPsi(other.jobId, { operatorChunks: 2, operatorCount: 70_000 }))).toMatchObject({
      status: 422,
      detail: expect.stringMatching(/incomplete/),
    });
    expect(await fail(client.psiPage(other.jobId, 0, 0))).toMatchObject({ status: 404 });
    // An id column the scenario does not name is refused by the authorisation.
    expect(
      await fail(client.startPsi({ scenarioId, datasetId: TAX.dataset, idField: "district", idKind: "text" })),
    ).toMatchObject({ status: 403, type: expect.stringMatching(/denied/) });
  });
});
