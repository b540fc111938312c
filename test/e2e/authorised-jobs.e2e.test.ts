import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../gateway/app.js";
import { anchorPending } from "../../ledger/index.js";
import { createKeyFile } from "../../lib/key-file.js";
import { createClient, SluiceApiError } from "../../sdk/index.js";
import { decisions, jobs, scenarios, usageRecords } from "../../store/index.js";
import { testDatabases } from "../support/databases.js";
import { waitFor } from "../support/wait-for.js";
import { startWorld, WAGE_BOUNDS, WAGE_SUM_EPSILON, type World } from "../support/world.js";

describe.each(testDatabases())("authorised jobs end to end on $name", ({ open }) => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld(await open());
  });
  afterAll(async () => {
    await world?.stop();
  });
  const sum = (scenarioId: string) => world.wageSum(scenarioId);

  it("lets a regulator replay the decision behind a usage record and get the same answer", async () => {
    const scenarioId = await world.approvedScenario();
    const job = await sum(scenarioId);
    expect(job.result.classification).toMatchObject({ level: 1, category: "general" });
    const replay = await world.client(world.regulator).replayDecision(job.usageRecordId);
    expect(replay).toMatchObject({
      verified: true,
      hashMatches: true,
      rulesPublished: true,
      decisionReproduced: true,
      decisionHash: job.decisionHash,
    });

    // A decision edited in the database after the fact no longer matches the anchored hash.
    const db = world.gw.database.db;
    const [stored] = await db.select().from(decisions).where(eq(decisions.hash, job.decisionHash));
    const edited = structuredClone(stored!.decision) as { obligations: { priceFen: number } };
    edited.obligations.priceFen = 1;
    await db.update(decisions).set({ decision: edited }).where(eq(decisions.hash, job.decisionHash));
    expect(await world.client(world.regulator).replayDecision(job.usageRecordId)).toMatchObject({
      verified: false,
      hashMatches: false,
    });
  });

  it("follows a job by its request id from the gateway to every node and into its usage record, logging no data", async () => {
    const scenarioId = await world.approvedScenario();
    const job = await sum(scenarioId);
    const [record] = await world.gw.database.db.select().from(usageRecords).where(eq(usageRecords.jobId, job.jobId));
    const requestId = record?.record.requestId as string;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    await waitFor(
      async () => world.logLines.filter((l) => l.includes(requestId)).length,
      (n) => n >= 4,
    );
    const lines = world.logLines
      .filter((l) => l.includes(requestId))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(
      lines
        .filter((l) => l.service === "compute-node" && l.msg === "partial returned")
        .map((l) => l.nodeId)
        .sort(),
    ).toEqual(world.nodes.map((n) => n.nodeId).sort());
    expect(lines).toContainEqual(
      expect.objectContaining({ service: "gateway", msg: "request", path: "/jobs", status: 201 }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ service: "gateway", msg: "job finished", jobId: job.jobId }),
    );
    const everything = world.logLines.join("\n");
    expect(everything).not.toContain(job.result.value);
    expect(everything).not.toContain(world.operator.privateKeyPem.split("\n")[1]);
  });

  it("keeps every denied attempt's decision, and charges nothing for it", async () => {
    const scenarioId = await world.approvedScenario();
    const error = await world
      .client(world.operator)
      .runJob({ scenarioId, queryShape: "sum", fields: world.fields, epsilon: 5 })
      .catch((e: unknown) => e as SluiceApiError);
    expect(error).toBeInstanceOf(SluiceApiError);
    const problem = (error as SluiceApiError).problem;
    expect(problem.details).toMatchObject({ tier: "scenario", rule: "scenario-epsilon-per-query" });
    const hash = (problem.details as { decisionHash: string }).decisionHash;
    expect(await world.gw.database.db.select().from(decisions).where(eq(decisions.hash, hash))).toHaveLength(1);
    const [row] = await world.gw.database.db.select().from(scenarios).where(eq(scenarios.id, scenarioId));
    expect(row).toMatchObject({ queriesUsed: 0, epsilonSpentMicro: 0 });
  });

  it("never lets concurrent jobs together exceed the quota", async () => {
    const scenarioId = await world.approvedScenario({ queryQuota: 2 });
    const outcomes = await Promise.allSettled([sum(scenarioId), sum(scenarioId), sum(scenarioId), sum(scenarioId)]);
    const succeeded = outcomes.filter((o) => o.status === "fulfilled");
    const refused = outcomes
      .filter((o): o is PromiseRejectedResult => o.status === "rejected")
      .map((o) => (o.reason as SluiceApiError).status);
    expect(succeeded).toHaveLength(2);
    expect(refused.every((status) => status === 403 || status === 409)).toBe(true);
    const [row] = await world.gw.database.db.select().from(scenarios).where(eq(scenarios.id, scenarioId));
    expect(row?.queriesUsed).toBe(2);
    const records = await world.gw.database.db.select().from(usageRecords);
    expect(records.filter((r) => r.record.scenarioId === scenarioId)).toHaveLength(2);
  });

  it("refuses a job over the operator's concurrent-job limit with 429", async () => {
    const scenarioId = await world.approvedScenario();
    const strict = createApp({ ...world.gw.deps, limits: { maxConcurrentJobs: 1 } });
    const client = createClient({
      url: "http://gateway.test",
      key: world.operator,
      fetch: async (input, init) => strict.request(new Request(input, init)),
    });
    const query = {
      scenarioId,
      queryShape: "sum",
      fields: world.fields,
      epsilon: WAGE_SUM_EPSILON,
      bounds: WAGE_BOUNDS,
    };
    const outcomes = await Promise.allSettled([client.runJob(query), client.runJob(query)]);
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    const refused = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected")?.reason as SluiceApiError;
    expect([refused.status, refused.problem.type]).toEqual([429, "https://sluice.dev/problems/too-many-jobs"]);
  });

  it("answers a job whose nodes outlast the timeout with 504 and gives the reservation back", async () => {
    const scenarioId = await world.approvedScenario();
    const hasty = createApp({ ...world.gw.deps, limits: { nodeTimeoutMs: 1 } });
    const client = createClient({
      url: "http://gateway.test",
      key: world.operator,
      fetch: async (input, init) => hasty.request(new Request(input, init)),
    });
    const error = await client
      .runJob({ scenarioId, queryShape: "sum", fields: world.fields, epsilon: WAGE_SUM_EPSILON, bounds: WAGE_BOUNDS })
      .catch((e: unknown) => e as SluiceApiError);
    expect((error as SluiceApiError).status).toBe(504);
    const [row] = await world.gw.database.db.select().from(scenarios).where(eq(scenarios.id, scenarioId));
    expect(row).toMatchObject({ queriesUsed: 0, epsilonSpentMicro: 0 });
  });

  it("holds a result for the owners' review and releases it only when every owner agrees", async () => {
    const scenarioId = await world.approvedScenario({ requiresResultReview: true });
    const held = await sum(scenarioId);
    expect(held.status).toBe("awaiting_review");
    const operatorView = await world.client(world.operator).getJob(held.jobId);
    expect(operatorView).toMatchObject({ status: "awaiting_review", result: null, usageRecordId: null });

    const [first, second] = world.owners;
    const reviewerView = await world.client(first!.key).getJob(held.jobId);
    expect((reviewerView.result as { value: string }).value).toMatch(/^-?\d+$/);
    expect((await world.client(first!.key).reviewJob(held.jobId, { decision: "release" })).status).toBe(
      "awaiting_review",
    );
    const again = await world
      .client(first!.key)
      .reviewJob(held.jobId, { decision: "release" })
      .catch((e: SluiceApiError) => e);
    expect((again as SluiceApiError).status).toBe(409);
    const released = await world.client(second!.key).reviewJob(held.jobId, { decision: "release" });
    expect(released).toMatchObject({ status: "succeeded", usageRecordId: expect.stringMatching(/^rec_/) });
    const visible = await world.client(world.operator).getJob(held.jobId);
    expect((visible.result as { value: string }).value).toBe((reviewerView.result as { value: string }).value);

    await anchorPending({
      db: world.gw.database.db,
      ledger: world.gw.ledger,
      gatewayPublicKey: world.gw.deps.gatewayKeys.publicKey,
    });
    expect((await world.client(world.regulator).proveRecord(released.usageRecordId!)).verified).toBe(true);
  });

  it("lists an operator's own jobs newest first without their results, every operator's for a regulator", async () => {
    const scenarioId = await world.approvedScenario();
    const older = await sum(scenarioId);
    const newer = await sum(scenarioId);
    const mine = (await world.client(world.operator).listJobs({ scenarioId })).jobs;
    expect(mine.map((j) => j.id)).toEqual([newer.jobId, older.jobId]);
    expect(mine[0]).toMatchObject({ status: "succeeded", operatorId: world.operator.id, error: null });
    expect(mine[0]).not.toHaveProperty("result");
    expect((await world.client(world.operator).listJobs({ scenarioId, limit: 1 })).jobs.map((j) => j.id)).toEqual([
      newer.jobId,
    ]);
    expect((await world.client(world.operator).listJobs({ scenarioId, status: "failed" })).jobs).toEqual([]);
    const audited = (await world.client(world.regulator).listJobs({ scenarioId })).jobs;
    expect(audited.map((j) => j.id)).toEqual([newer.jobId, older.jobId]);

    const stranger = createKeyFile("another_bank");
    await world.client().admitParticipant({
      id: stranger.id,
      name: "Another bank",
      role: "operator",
      publicKey: stranger.publicKey,
    });
    expect((await world.client(stranger).listJobs()).jobs).toEqual([]);
    for (const bad of [{ limit: 0 }, { limit: 101 }, { status: "done" }]) {
      const refused = await world
        .client(world.operator)
        .listJobs(bad)
        .catch((e: SluiceApiError) => e);
      expect((refused as SluiceApiError).status, JSON.stringify(bad)).toBe(400);
    }
    const owner = await world
      .client(world.owners[0]!.key)
      .listJobs()
      .catch((e: SluiceApiError) => e);
    expect((owner as SluiceApiError).status).toBe(403);
  });

  it("ends a withheld result with no record and no fee", async () => {
    const scenarioId = await world.approvedScenario({ requiresResultReview: true });
    const held = await sum(scenarioId);
    const withoutReason = await world
      .client(world.owners[0]!.key)
      .reviewJob(held.jobId, { decision: "withhold" })
      .catch((e: SluiceApiError) => e);
    expect((withoutReason as SluiceApiError).status).toBe(400);
    const withheld = await world
      .client(world.owners[0]!.key)
      .reviewJob(held.jobId, { decision: "withhold", reason: "a small district is identifiable" });
    expect(withheld.status).toBe("withheld");
    const [job] = await world.gw.database.db.select().from(jobs).where(eq(jobs.id, held.jobId));
    expect(job?.status).toBe("withheld");
    expect(await world.gw.database.db.select().from(usageRecords).where(eq(usageRecords.jobId, held.jobId))).toEqual(
      [],
    );
    const late = await world
      .client(world.owners[1]!.key)
      .reviewJob(held.jobId, { decision: "release" })
      .catch((e: SluiceApiError) => e);
    expect((late as SluiceApiError).status).toBe(409);
    expect((await world.client(world.operator).getJob(held.jobId)).result).toBeNull();
  });
});
