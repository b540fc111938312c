import path from "node:path";
import { DEMO_OWNERS, DEMO_REGION, demoDatasetRegistration } from "../../compute/index.js";
import { DEMO_HELPER_NODE_ID, startDemoNodes } from "../../gateway/demo.js";
import { loadOrCreateKeyFile } from "../../gateway/keys.js";
import type { NodeProcess } from "../../gateway/node-processes.js";
import { createKeyFile } from "../../lib/key-file.js";
import { createLogger } from "../../lib/logger.js";
import type { Database } from "../../store/index.js";
import { startTestGateway, type TestGateway, YEAR_WINDOW } from "./gateway.js";

/** The ε and the per-row bounds (fen) of `wageSum`: level-2 wages are released only with noise. */
export const WAGE_SUM_EPSILON = 0.1;
export const WAGE_BOUNDS = { min: 0, max: 20_000_000_000 };

export const nodeRegistration = (node: NodeProcess) => ({
  id: node.nodeId,
  url: node.url,
  publicKey: node.publicKey,
  encryptionKey: node.encryptionKey,
});

/**
 * A gateway with both demo owners' compute nodes running as separate processes, an operator holding
 * comprehensive and sector grants, and a regulator: the starting point of a job test.
 */
export async function startWorld(database: Database) {
  // Every log line of the gateway and of both nodes, to check what the logs carry and what they must not.
  const logLines: string[] = [];
  const logger = createLogger({
    service: "gateway",
    level: "debug",
    destination: { write: (line: string) => void logLines.push(line) },
  });
  const gw: TestGateway = await startTestGateway(database, { logger });
  const url = await gw.listen();
  const nodes: NodeProcess[] = await startDemoNodes(gw.dataDir, gw.deps.gatewayKeys.publicKey, (line) =>
    logLines.push(line),
  );
  const operator = createKeyFile("bank");
  const regulator = createKeyFile("regulator");
  // Each node trusts its owner's key, which the demo set-up keeps in the data folder.
  const owners = DEMO_OWNERS.map((demo) => ({
    demo,
    key: loadOrCreateKeyFile(path.join(gw.dataDir, "keys"), `owner_${demo.key}`),
    dept: createKeyFile(`dept_${demo.key}`),
  }));
  const client = (key = gw.authority) => gw.client(key, url);
  const authority = client();
  await authority.admitParticipant({ id: operator.id, name: "Bank", role: "operator", publicKey: operator.publicKey });
  await authority.admitParticipant({
    id: regulator.id,
    name: "Regulator",
    role: "regulator",
    publicKey: regulator.publicKey,
  });
  const grant = {
    operatorId: operator.id,
    regions: [DEMO_REGION],
    computeModes: ["mpc", "he", "psi", "join"],
    maxLevel: 3,
    ...YEAR_WINDOW,
  };
  await authority.grant({ ...grant, sectors: DEMO_OWNERS.map((o) => o.sector) });
  for (const { demo, key, dept } of owners) {
    await authority.admitParticipant({ id: key.id, name: demo.name, role: "owner", publicKey: key.publicKey });
    await authority.admitParticipant({
      id: dept.id,
      name: demo.sector,
      role: "sector",
      sector: demo.sector,
      publicKey: dept.publicKey,
    });
    await client(dept).grant({ ...grant, sectors: [demo.sector] });
    const node = nodes.find((n) => n.nodeId === `node_${demo.key}`) as NodeProcess;
    await client(key).registerNode(nodeRegistration(node));
    await client(key).registerDataset(demoDatasetRegistration(demo, node.nodeId));
  }
  // Two owners make a job of three parties with the authority's helper node.
  const helper = nodes.find((n) => n.nodeId === DEMO_HELPER_NODE_ID) as NodeProcess;
  await authority.registerNode({ ...nodeRegistration(helper), kind: "helper" });
  const fields = DEMO_OWNERS.map((o) => `${o.dataset.id}.wages_fen`);

  /** Proposes a secure-sum scenario over both owners' wages, as the operator. */
  async function proposedScenario(overrides: Record<string, unknown> = {}) {
    const scenario = await client(operator).proposeScenario({
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
      ...overrides,
    });
    return scenario.id;
  }

  /** Proposes a secure-sum scenario over both owners' wages and has both owners approve it. */
  async function approvedScenario(overrides: Record<string, unknown> = {}) {
    const id = await proposedScenario(overrides);
    for (const { key } of owners) await client(key).decideScenario(id, { decision: "approve" });
    return id;
  }

  /**
   * The secure sum of both owners' wages under a scenario, as the classification rules allow it for
   * level-2 data: with ε 0.1 and bounds (a hundred such jobs fit the default budget of ε 10).
   */
  function wageSum(scenarioId: string, body: Record<string, unknown> = {}) {
    return client(operator).runJob({
      scenarioId,
      queryShape: "sum",
      fields,
      epsilon: WAGE_SUM_EPSILON,
      bounds: WAGE_BOUNDS,
      ...body,
    });
  }

  return {
    gw,
    url,
    wageSum,
    nodes,
    logLines,
    operator,
    regulator,
    owners,
    fields,
    client,
    proposedScenario,
    approvedScenario,
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
      await gw.stop();
      await gw.database.close();
    },
  };
}

export type World = Awaited<ReturnType<typeof startWorld>>;
