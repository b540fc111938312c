import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { count, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../gateway/app.js";
import { DEMO_HELPER_NODE_ID } from "../../gateway/demo.js";
import { endOrphanedJobs, replicaLease } from "../../gateway/jobs/sweep.js";
import { type NodeProcess, spawnComputeNode } from "../../gateway/node-processes.js";
import { createClient, SluiceApiError } from "../../sdk/index.js";
import { computeNodes, jobs, leases, scenarios, usageRecords } from "../../store/index.js";
import { testDatabases } from "../support/databases.js";
import { demoRows, SOCIAL, TAX } from "../support/demo-rows.js";
import { startKillSwitchProxy } from "../support/kill-switch-proxy.js";
import { startWorld, type World } from "../support/world.js";

const SECRET_FIELDS = ["ds_enterprise_tax.tax_paid_fen", "ds_social_insurance.contributions_fen"];
const GROUPABLE = ["ds_enterprise_tax.district", "ds_social_insurance.district"];

describe.each(testDatabases())("secure aggregation through the gateway on $name", ({ open }) => {
  let world: World;
  let scenarioId: string;
  const extraNodes: NodeProcess[] = [];

  beforeAll(async () => {
    world = await startWorld(await open());
    scenarioId = await world.approvedScenario({
      fields: [...SECRET_FIELDS, ...GROUPABLE],
      queryShapes: ["sum", "count", "histogram"],
      minGroupSize: 20,
      epsilonPerQuery: 5,
      epsilonBudget: 60,
    });
  });
  afterAll(async () => {
    await Promise.all(extraNodes.map((n) => n.stop()));
    await world?.stop();
  });

  const scenario = async () => {
    const [row] = await world.gw.database.db.select().from(scenarios).where(eq(scenarios.id, scenarioId));
    return row as typeof scenarios.$inferSelect;
  };
  const records = async () => (await world.gw.database.db.select({ n: count() }).from(usageRecords))[0]?.n;

  it("answers a grouped sum over level-3 fields with noise from every party, charging ε", async () => {
    const districts = [
      ...new Set(demoRows(world.gw.dataDir, TAX.owner, TAX.dataset).map((r) => r.district as string)),
    ].sort();
    const before = await scenario();
    const job = await world.client(world.operator).runJob({
      scenarioId,
      queryShape: "sum",
      fields: SECRET_FIELDS,
      epsilon: 5,
      bounds: { min: 0, max: 500_000_000 },
      groupBy: { field: "district", values: districts },
    });
    expect(job.status).toBe("succeeded");
    expect(job.result.noise).toMatchObject({ mechanism: "discrete-laplace", epsilon: 5, parties: 3 });
    expect(job.result.value).toBeNull(); // grouped: no total over the groups is released

    const exact = (district: string) =>
      [
        ...demoRows(world.gw.dataDir, TAX.owner, TAX.dataset)
          .filter((r) => r.district === district)
          .map((r) => Number(r.tax_paid_fen)),
      ]
        .concat(
          demoRows(world.gw.dataDir, SOCIAL.owner, SOCIAL.dataset)
            .filter((r) => r.district === district)
            .map((r) => Number(r.contributions_fen)),
        )
        .reduce((a, b) => a + Math.min(b, 500_000_000), 0);
    // Three parties each add one discrete Laplace sample of the published scale b (variance ≈ 2b²):
    // the cell's noise has σ = √(3·2)·b. Twelve σ is beyond any draw this test will ever see
    // (a Laplace tail that far out has probability below 10^-7).
    const scale = (job.result.noise as unknown as { scalePerParty: { sum: number } }).scalePerParty.sum;
    const sigma = Math.sqrt(3 * 2) * scale;
    expect(scale).toBe((500_000_000 * 2 * 2) / 5);
    for (const cell of job.result.cells) {
      expect(cell.suppressed).toBe(false);
      expect(Math.abs((cell.value as number) - exact(cell.group as string))).toBeLessThan(12 * sigma);
    }
    expect(job.result.cells.some((c) => c.value !== exact(c.group as string))).toBe(true);
    const after = await scenario();
    expect(after.epsilonSpentMicro - before.epsilonSpentMicro).toBe(5_000_000);
    expect(after.queriesUsed - before.queriesUsed).toBe(1);
  });

  it("runs a job once however often the operator retries it with the same job id", async () => {
    const before = await scenario();
    const recordsBefore = await records();
    const ask = () =>
      world.client(world.operator).runJob({
        jobId: "retry-count-0001",
        scenarioId,
        queryShape: "count",
        fields: SECRET_FIELDS,
        epsilon: 1,
      });
    const first = await ask();
    const again = await ask();
    expect(again).toEqual(first);
    expect(await records()).toBe((recordsBefore ?? 0) + 1);
    expect((await scenario()).queriesUsed - before.queriesUsed).toBe(1);
    const other = await world
      .client(world.operator)
      .runJob({
        jobId: "retry-count-0001",
        scenarioId: "sc_other",
        queryShape: "count",
        fields: SECRET_FIELDS,
        epsilon: 1,
      })
      .catch((e: unknown) => e);
    expect((other as SluiceApiError).status).toBe(409);
  });

  it("fails cleanly when a node is killed mid-job, and the restarted node rejoins", async () => {
    const db = world.gw.database.db;
    const helper = world.nodes.find((n) => n.nodeId === DEMO_HELPER_NODE_ID) as NodeProcess;
    const helperUrl = new URL(helper.url);
    let live = helper;
    const proxy = await startKillSwitchProxy(() => helperUrl.origin);
    await db.update(computeNodes).set({ url: proxy.url }).where(eq(computeNodes.id, DEMO_HELPER_NODE_ID));
    try {
      const before = await scenario();
      const recordsBefore = await records();
      // The plan reaches the owners' nodes; the helper dies the moment its own copy arrives.
      proxy.arm(() => live.stop());
      const failure = await world
        .client(world.operator)
        .runJob({ scenarioId, queryShape: "count", fields: SECRET_FIELDS, epsilon: 1 })
        .catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(SluiceApiError);
      expect((failure as SluiceApiError).status).toBe(502);
      expect((failure as SluiceApiError).problem.detail).toMatch(new RegExp(DEMO_HELPER_NODE_ID));
      const after = await scenario();
      expect(after.epsilonSpentMicro).toBe(before.epsilonSpentMicro); // no ε charged
      expect(after.queriesUsed).toBe(before.queriesUsed); // no query charged
      expect(await records()).toBe(recordsBefore); // no usage record, so no fee
      const [failed] = await db.select().from(jobs).where(eq(jobs.status, "failed"));
      expect(failed?.result).toBeNull(); // no partial result kept

      // Restarted on its address with its key, the helper takes part again.
      const configFile = path.join(world.gw.dataDir, "nodes", "helper", "node.json");
      const config = JSON.parse(readFileSync(configFile, "utf8")) as { port: number };
      writeFileSync(configFile, JSON.stringify({ ...config, port: Number(helperUrl.port) }));
      live = await spawnComputeNode(configFile);
      extraNodes.push(live);
      const next = await world
        .client(world.operator)
        .runJob({ scenarioId, queryShape: "count", fields: SECRET_FIELDS, epsilon: 1 });
      expect(next.status).toBe("succeeded");
    } finally {
      await db.update(computeNodes).set({ url: helper.url }).where(eq(computeNodes.id, DEMO_HELPER_NODE_ID));
      await proxy.close();
    }
  });

  it("ends at once a job whose replica died mid-job: the reservation comes back, and the dead replica's late finish charges nothing", async () => {
    const { db } = world.gw.database;
    const helper = world.nodes.find((n) => n.nodeId === DEMO_HELPER_NODE_ID) as NodeProcess;
    const proxy = await startKillSwitchProxy(() => helper.url);
    await db.update(computeNodes).set({ url: proxy.url }).where(eq(computeNodes.id, DEMO_HELPER_NODE_ID));
    // A replica whose liveness lease is gone (it was killed), still holding its request open.
    const dying = createApp({ ...world.gw.deps, replicaId: "replica_killed" });
    const client = createClient({
      url: "http://gateway.test",
      key: world.operator,
      fetch: async (input, init) => dying.request(new Request(input, init)),
    });
    await db.insert(leases).values({
      name: replicaLease("replica_alive"),
      holder: "replica_alive",
      expiresAt: new Date(Date.now() + 60_000),
      acquiredAt: new Date(),
    });
    let letGo = () => {};
    const held = new Promise<void>((resolve) => {
      letGo = resolve;
    });
    let arrived = () => {};
    const atHelper = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    try {
      const before = await scenario();
      const recordsBefore = await records();
      proxy.arm(async () => {
        arrived();
        await held;
      });
      const run = client
        .runJob({ scenarioId, queryShape: "count", fields: SECRET_FIELDS, epsilon: 1 })
        .catch((e: unknown) => e);
      await atHelper;
      expect((await scenario()).queriesUsed).toBe(before.queriesUsed + 1);
      const ended = await endOrphanedJobs(world.gw.deps);
      expect(ended).toHaveLength(1);
      const [job] = await db
        .select()
        .from(jobs)
        .where(eq(jobs.id, ended[0] as string));
      expect(job).toMatchObject({
        status: "failed",
        replicaId: "replica_killed",
        error: expect.stringMatching(/replica/),
      });
      expect((await scenario()).queriesUsed).toBe(before.queriesUsed);
      // A job of a live replica, and one of no replica's, are left alone.
      const { id: _, ...rest } = job as typeof jobs.$inferSelect;
      await db.insert(jobs).values([
        {
          ...rest,
          id: "job_of_live_replica",
          status: "running",
          error: null,
          finishedAt: null,
          replicaId: "replica_alive",
        },
        { ...rest, id: "job_of_no_replica", status: "running", error: null, finishedAt: null, replicaId: null },
      ]);
      expect(await endOrphanedJobs(world.gw.deps)).toEqual([]);
      await db.delete(jobs).where(inArray(jobs.id, ["job_of_live_replica", "job_of_no_replica"]));
      letGo();
      const failure = await run;
      expect(failure).toBeInstanceOf(SluiceApiError);
      const after = await scenario();
      expect([after.queriesUsed, after.epsilonSpentMicro]).toEqual([before.queriesUsed, before.epsilonSpentMicro]);
      expect(await records()).toBe(recordsBefore);
    } finally {
      letGo();
      await db.update(computeNodes).set({ url: helper.url }).where(eq(computeNodes.id, DEMO_HELPER_NODE_ID));
      await proxy.close();
    }
  });
});
