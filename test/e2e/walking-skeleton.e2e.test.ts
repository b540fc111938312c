import path from "node:path";
import { count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_OWNERS, DEMO_REGION, demoDatasetRegistration } from "../../compute/index.js";
import { DEMO_HELPER_NODE_ID, startDemoNodes } from "../../gateway/demo.js";
import { loadOrCreateKeyFile } from "../../gateway/keys.js";
import type { NodeProcess } from "../../gateway/node-processes.js";
import { anchorPending } from "../../ledger/index.js";
import { createKeyFile, type KeyFile } from "../../lib/key-file.js";
import { SluiceApiError } from "../../sdk/index.js";
import { jobs, scenarios, usageRecords } from "../../store/index.js";
import { testDatabases } from "../support/databases.js";
import { demoRows } from "../support/demo-rows.js";
import { startTestGateway, type TestGateway, YEAR_WINDOW } from "../support/gateway.js";
import { noiseTolerance } from "../support/noise.js";
import { nodeRegistration, WAGE_BOUNDS } from "../support/world.js";

function plaintextSum(dataDir: string, ownerKey: string, datasetId: string, field: string): bigint {
  return demoRows(dataDir, ownerKey, datasetId).reduce((total, row) => total + BigInt(row[field] as string), 0n);
}

describe.each(testDatabases())("the walking skeleton end to end on $name", ({ open }) => {
  let gw: TestGateway;
  let nodes: NodeProcess[];
  let url: string;
  const operator = createKeyFile("bank_e2e");
  const regulator = createKeyFile("regulator_e2e");
  let owners: { demo: (typeof DEMO_OWNERS)[number]; key: KeyFile; dept: KeyFile }[];
  const fields = DEMO_OWNERS.map((o) => `${o.dataset.id}.wages_fen`);
  let scenarioId: string;

  beforeAll(async () => {
    gw = await startTestGateway(await open());
    url = await gw.listen();
    // The owners' compute nodes run as separate processes, each with its own data and key.
    nodes = await startDemoNodes(gw.dataDir, gw.deps.gatewayKeys.publicKey);
    // Each node trusts its owner's key, which the demo set-up keeps in the data folder.
    owners = DEMO_OWNERS.map((demo) => ({
      demo,
      key: loadOrCreateKeyFile(path.join(gw.dataDir, "keys"), `owner_${demo.key}`),
      dept: createKeyFile(`dept_${demo.key}`),
    }));
  });
  afterAll(async () => {
    await Promise.all((nodes ?? []).map((n) => n.stop()));
    await gw?.stop();
    await gw?.database.close();
  });

  it("admits the participants and grants the comprehensive and sector authorisations", async () => {
    const authority = gw.client(gw.authority, url);
    await authority.admitParticipant({
      id: operator.id,
      name: "Bank",
      role: "operator",
      publicKey: operator.publicKey,
    });
    await authority.admitParticipant({
      id: regulator.id,
      name: "Regulator",
      role: "regulator",
      publicKey: regulator.publicKey,
    });
    const comprehensive = await authority.grant({
      operatorId: operator.id,
      regions: [DEMO_REGION],
      sectors: DEMO_OWNERS.map((o) => o.sector),
      computeModes: ["mpc"],
      maxLevel: 3,
      ...YEAR_WINDOW,
    });
    expect(comprehensive.tier).toBe("comprehensive");
    for (const { demo, key, dept } of owners) {
      await authority.admitParticipant({ id: key.id, name: demo.name, role: "owner", publicKey: key.publicKey });
      await authority.admitParticipant({
        id: dept.id,
        name: `${demo.sector} dept`,
        role: "sector",
        sector: demo.sector,
        publicKey: dept.publicKey,
      });
      const sector = await gw.client(dept, url).grant({
        operatorId: operator.id,
        regions: [DEMO_REGION],
        sectors: [demo.sector],
        computeModes: ["mpc"],
        maxLevel: 3,
        ...YEAR_WINDOW,
      });
      expect(sector.tier).toBe("sector");
      const node = nodes.find((n) => n.nodeId === `node_${demo.key}`)!;
      await gw.client(key, url).registerNode(nodeRegistration(node));
      await gw.client(key, url).registerDataset(demoDatasetRegistration(demo, node.nodeId));
    }
    // With two owners, a helper node that holds no data makes the third party; only the authority registers one.
    const helper = nodes.find((n) => n.nodeId === DEMO_HELPER_NODE_ID)!;
    const byOwner = await gw
      .client(owners[0]!.key, url)
      .registerNode({ ...nodeRegistration(helper), kind: "helper" })
      .catch((e: unknown) => e);
    expect((byOwner as SluiceApiError).status).toBe(403);
    await gw.client(gw.authority, url).registerNode({ ...nodeRegistration(helper), kind: "helper" });
    const health = await gw.client(gw.authority, url).health();
    expect(health).toMatchObject({ status: "ok", down: [] });
    expect((health.nodes as unknown[]).length).toBe(3);
  });

  it("runs nothing until every owner approves the operator's scenario", async () => {
    const bank = gw.client(operator, url);
    const scenario = await bank.proposeScenario({
      purpose: "Total wage base reported to tax and social insurance",
      fields,
      computeModes: ["mpc"],
      queryShapes: ["sum"],
      minGroupSize: 10,
      epsilonPerQuery: 1,
      epsilonBudget: 10,
      queryQuota: 100,
      pricePerQueryFen: 500,
      platformShareBasisPoints: 1000,
      ...YEAR_WINDOW,
    });
    scenarioId = scenario.id;
    expect(scenario.status).toBe("proposed");

    const early = await bank.runJob({ scenarioId, queryShape: "sum", fields }).catch((e: unknown) => e);
    expect(early).toBeInstanceOf(SluiceApiError);
    expect((early as SluiceApiError).status).toBe(403);
    expect((early as SluiceApiError).problem.details).toMatchObject({ tier: "scenario", rule: "scenario-active" });

    const [first, second] = owners;
    expect((await gw.client(first!.key, url).decideScenario(scenarioId, { decision: "approve" })).status).toBe(
      "proposed",
    );
    expect((await gw.client(second!.key, url).decideScenario(scenarioId, { decision: "approve" })).status).toBe(
      "active",
    );
  });

  it("computes the secure sum across both owners, meters it and proves its record on chain", async () => {
    // Wages are level 2: released only with differential-privacy noise, within what the noise states.
    const job = await gw
      .client(operator, url)
      .runJob({ scenarioId, queryShape: "sum", fields, epsilon: 1, bounds: WAGE_BOUNDS });
    const expected =
      plaintextSum(gw.dataDir, "tax", "ds_enterprise_tax", "wages_fen") +
      plaintextSum(gw.dataDir, "social", "ds_social_insurance", "wages_fen");
    expect(job.result.noise).toMatchObject({ mechanism: "discrete-laplace", epsilon: 1, parties: 3 });
    expect(Math.abs(Number(job.result.value) - Number(expected))).toBeLessThan(noiseTolerance(job.result.noise, "sum"));
    expect(BigInt(job.result.value as string)).not.toBe(expected);

    const [jobRow] = await gw.database.db.select().from(jobs).where(eq(jobs.id, job.jobId));
    expect(jobRow?.status).toBe("succeeded");
    const [record] = await gw.database.db.select().from(usageRecords).where(eq(usageRecords.jobId, job.jobId));
    expect(record?.record).toMatchObject({
      feeFen: 500,
      scenarioId,
      operatorId: operator.id,
      decisionHash: job.decisionHash,
    });

    const regulatorClient = gw.client(regulator, url);
    expect((await regulatorClient.proveRecord(job.usageRecordId)).status).toBe("pending");
    await anchorPending({ db: gw.database.db, ledger: gw.ledger, gatewayPublicKey: gw.deps.gatewayKeys.publicKey });
    const proof = await regulatorClient.proveRecord(job.usageRecordId);
    expect(proof).toMatchObject({
      status: "anchored",
      verified: true,
      checks: { recordHashMatches: true, gatewaySignatureValid: true, proofValid: true, rootOnChain: true },
    });
  });

  it("fails the job cleanly when an owner's node dies: no result, no record, no quota spent", async () => {
    const before = await gw.database.db.select({ n: count() }).from(usageRecords);
    const [{ queriesUsed } = { queriesUsed: -1 }] = await gw.database.db
      .select()
      .from(scenarios)
      .where(eq(scenarios.id, scenarioId));
    await nodes[1]!.stop();

    const failure = await gw
      .client(operator, url)
      .runJob({ scenarioId, queryShape: "sum", fields, epsilon: 1, bounds: WAGE_BOUNDS })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SluiceApiError);
    expect((failure as SluiceApiError).status).toBe(502);
    expect((failure as SluiceApiError).problem.type).toMatch(/node-unavailable|node-rejected/);

    expect(await gw.database.db.select({ n: count() }).from(usageRecords)).toEqual(before);
    const [after] = await gw.database.db.select().from(scenarios).where(eq(scenarios.id, scenarioId));
    expect(after?.queriesUsed).toBe(queriesUsed);
    const failed = await gw.database.db.select().from(jobs).where(eq(jobs.status, "failed"));
    expect(failed).toHaveLength(1);

    const health = await gw.client(gw.authority, url).health();
    expect(health.status).toBe("unavailable");
    expect(health.down).toEqual([`node:${nodes[1]!.nodeId}`]);
  });
});
