import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import {
  columnsOf,
  DEMO_OWNER_SCHEMA,
  DEMO_OWNERS,
  DEMO_REGION,
  demoApplicants,
  demoCsv,
  demoDatasetRegistration,
  type NodeConfigFile,
  pinOfNodeKey,
  rowsOfDemoCsv,
  writeDemoOwnerTable,
  writeParquetFromCsv,
} from "../compute/index.js";
import { generateEd25519KeyPair } from "../lib/ed25519.js";
import type { KeyFile } from "../lib/key-file.js";
import { createClient } from "../sdk/index.js";
import { computeNodes, type Db, participants } from "../store/index.js";
import { loadOrCreateKeyFile } from "./keys.js";
import { freeLoopbackPort, type NodeProcess, spawnComputeNode } from "./node-processes.js";

export const DEMO_OPERATOR_ID = "demo_bank";
export const DEMO_REGULATOR_ID = "demo_regulator";

export const DEMO_HELPER_NODE_ID = "node_helper";

function nodeDefaults(gatewayPublicKey: string) {
  return {
    host: "127.0.0.1",
    keyFile: "node.pem",
    gatewayPublicKey,
    shareTimeoutMs: 15_000,
    helper: false,
    noiseFromLevel: 2,
    spendLedgerFile: "spend-ledger.jsonl",
  };
}

/**
 * A demo node's folder, key and address, decided before any node starts, so each node's
 * configuration can pin the others (ids, both keys, addresses) as a real owner's would.
 */
async function demoNodeIdentity(dataDir: string, nodeId: string, folder: string) {
  const dir = path.join(dataDir, "nodes", folder);
  mkdirSync(dir, { recursive: true });
  const keyFile = path.join(dir, "node.pem");
  if (!existsSync(keyFile)) writeFileSync(keyFile, generateEd25519KeyPair().privateKeyPem, { mode: 0o600 });
  const port = await freeLoopbackPort();
  const peer = pinOfNodeKey(nodeId, readFileSync(keyFile, "utf8"), `http://127.0.0.1:${port}`);
  return { dir, port, peer };
}

function writeNodeConfig(dir: string, config: NodeConfigFile): string {
  const configFile = path.join(dir, "node.json");
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  return configFile;
}

/** Writes each demo owner's synthetic data, keys and node configuration, and starts its node process and a helper's. */
export async function startDemoNodes(
  dataDir: string,
  gatewayPublicKey: string,
  onLog?: (line: string) => void,
  /** The PostgreSQL the platform runs on, if any: the tax bureau's rows then live in a table there. */
  ownerDatabaseUrl?: string,
): Promise<NodeProcess[]> {
  const started: NodeProcess[] = [];
  try {
    const identities = [
      ...(await Promise.all(DEMO_OWNERS.map((owner) => demoNodeIdentity(dataDir, `node_${owner.key}`, owner.key)))),
      await demoNodeIdentity(dataDir, DEMO_HELPER_NODE_ID, "helper"),
    ];
    const peersOf = (nodeId: string) => identities.filter((i) => i.peer.nodeId !== nodeId).map((i) => i.peer);
    for (const owner of DEMO_OWNERS) {
      const { dir, port } = identities.find(
        (i) => i.peer.nodeId === `node_${owner.key}`,
      ) as (typeof identities)[number];
      const dataFile = path.join(dir, `${owner.dataset.id}.csv`);
      if (!existsSync(dataFile)) writeFileSync(dataFile, demoCsv(owner));
      // The social insurance fund's export is Parquet, the tax bureau's a CSV: both queried in place by DuckDB.
      const parquetFile = path.join(dir, `${owner.dataset.id}.parquet`);
      const asParquet = owner.key === "social";
      if (asParquet && !existsSync(parquetFile)) await writeParquetFromCsv(dataFile, parquetFile, columnsOf(owner));
      // With a PostgreSQL server, the tax bureau's rows are a table there, queried live.
      const table = owner.key === "tax" && ownerDatabaseUrl ? owner.dataset.id : null;
      if (table && ownerDatabaseUrl)
        await writeDemoOwnerTable(
          ownerDatabaseUrl,
          table,
          columnsOf(owner),
          rowsOfDemoCsv(readFileSync(dataFile, "utf8")),
        );
      // The node trusts its owner's key: the owner signs what it approves, and the node checks every plan against it.
      const ownerKey = loadOrCreateKeyFile(path.join(dataDir, "keys"), `owner_${owner.key}`);
      const config: NodeConfigFile = {
        ...nodeDefaults(gatewayPublicKey),
        port,
        peers: peersOf(`node_${owner.key}`),
        nodeId: `node_${owner.key}`,
        ownerId: `owner_${owner.key}`,
        ownerPublicKeys: [ownerKey.publicKey],
        datasets: [
          {
            id: owner.dataset.id,
            ...(table && ownerDatabaseUrl
              ? { postgres: { url: ownerDatabaseUrl, schema: DEMO_OWNER_SCHEMA, table } }
              : asParquet
                ? { files: { path: path.basename(parquetFile), format: "parquet" as const } }
                : { file: path.basename(dataFile) }),
            columns: columnsOf(owner),
            ...(owner.scoring ? { scoring: owner.scoring } : {}),
          },
        ],
        ...(owner.scoring ? { scoreCountsFile: "score-counts.log" } : {}),
      };
      started.push(await spawnComputeNode(writeNodeConfig(dir, config), { onLog }));
    }
    // The third party of two-owner jobs: holds no data, sees only uniform shares, adds its own noise.
    const { dir: helperDir, port } = identities.at(-1) as (typeof identities)[number];
    const helper: NodeConfigFile = {
      ...nodeDefaults(gatewayPublicKey),
      port,
      peers: peersOf(DEMO_HELPER_NODE_ID),
      nodeId: DEMO_HELPER_NODE_ID,
      ownerId: "platform",
      helper: true,
      ownerPublicKeys: [],
      datasets: [],
    };
    started.push(await spawnComputeNode(writeNodeConfig(helperDir, helper), { onLog }));
    return started;
  } catch (error) {
    await Promise.all(started.map((n) => n.stop()));
    throw error;
  }
}

/**
 * Seeds the demo on first start through the signed API itself: sector departments, the two owners
 * with their nodes and datasets, a demo bank with grants and three approved scenarios (a joined
 * aggregate, a PSI size of its applicants, a vertical score), and a regulator.
 * On later starts it only points the nodes at their new addresses.
 */
export async function seedDemo(options: {
  db: Db;
  keysDir: string;
  authority: KeyFile;
  nodes: NodeProcess[];
  fetch: typeof fetch;
  now: Date;
}) {
  const { db, keysDir, nodes } = options;
  for (const node of nodes) {
    await db
      .update(computeNodes)
      .set({ url: node.url, encryptionKey: node.encryptionKey })
      .where(eq(computeNodes.id, node.nodeId));
  }
  const url = "http://sluice.local";
  const as = (key: KeyFile) => createClient({ url, key, fetch: options.fetch });
  const authority = as(options.authority);
  const helper = nodes.find((n) => n.nodeId === DEMO_HELPER_NODE_ID);
  const [helperRow] = await db.select().from(computeNodes).where(eq(computeNodes.id, DEMO_HELPER_NODE_ID));
  if (helper && !helperRow) {
    await authority.registerNode({
      id: helper.nodeId,
      url: helper.url,
      publicKey: helper.publicKey,
      encryptionKey: helper.encryptionKey,
      kind: "helper",
    });
  }
  const [seeded] = await db.select().from(participants).where(eq(participants.id, DEMO_OPERATOR_ID));
  if (seeded) return;

  const key = (id: string) => loadOrCreateKeyFile(keysDir, id);
  const validFrom = new Date(options.now.getTime() - 60_000).toISOString();
  const validUntil = new Date(options.now.getTime() + 365 * 86_400_000).toISOString();

  const bank = key(DEMO_OPERATOR_ID);
  await authority.admitParticipant({
    id: bank.id,
    name: "示范银行 (Demo Bank)",
    role: "operator",
    publicKey: bank.publicKey,
  });
  const regulator = key(DEMO_REGULATOR_ID);
  await authority.admitParticipant({
    id: regulator.id,
    name: "数据监管处 (Data Regulator)",
    role: "regulator",
    publicKey: regulator.publicKey,
  });
  await authority.grant({
    operatorId: bank.id,
    regions: [DEMO_REGION],
    sectors: DEMO_OWNERS.map((o) => o.sector),
    computeModes: ["mpc", "join", "psi", "he"],
    maxLevel: 3,
    validFrom,
    validUntil,
  });

  for (const owner of DEMO_OWNERS) {
    const dept = key(`dept_${owner.key}`);
    await authority.admitParticipant({
      id: dept.id,
      name: `${owner.sector} sector department`,
      role: "sector",
      sector: owner.sector,
      publicKey: dept.publicKey,
    });
    await as(dept).grant({
      operatorId: bank.id,
      regions: [DEMO_REGION],
      sectors: [owner.sector],
      computeModes: ["mpc", "join", "psi", "he"],
      maxLevel: 3,
      validFrom,
      validUntil,
    });

    const ownerKey = key(`owner_${owner.key}`);
    await authority.admitParticipant({
      id: ownerKey.id,
      name: owner.name,
      role: "owner",
      publicKey: ownerKey.publicKey,
    });
    const node = nodes.find((n) => n.nodeId === `node_${owner.key}`);
    if (!node) throw new Error(`demo node for ${owner.key} is not running`);
    await as(ownerKey).registerNode({
      id: node.nodeId,
      url: node.url,
      publicKey: node.publicKey,
      encryptionKey: node.encryptionKey,
    });
    await as(ownerKey).registerDataset(demoDatasetRegistration(owner, node.nodeId));
  }

  const window = { platformShareBasisPoints: 1_000, validFrom, validUntil };
  // What departments' data is for: attributes of the same enterprises, combined on the credit code.
  const joined = await as(bank).proposeScenario({
    purpose:
      "Tax paid by Hangzhou enterprises by their insured headcount, per district, joining the tax bureau's and the social insurance fund's records of the same enterprises on the unified social credit code (SME credit policy).",
    fields: [
      "ds_enterprise_tax.uscc",
      "ds_enterprise_tax.district",
      "ds_enterprise_tax.tax_paid_fen",
      "ds_social_insurance.uscc",
      "ds_social_insurance.insured_employees",
    ],
    computeModes: ["join"],
    queryShapes: ["count", "sum", "mean"],
    minGroupSize: 20,
    epsilonPerQuery: 2,
    epsilonBudget: 100,
    queryQuota: 1_000,
    pricePerQueryFen: 800,
    ...window,
  });
  const applicants = await as(bank).proposeScenario({
    purpose:
      "How many of the bank's consenting loan applicants are registered taxpayers in Hangzhou (pre-screening an SME loan campaign).",
    fields: ["ds_enterprise_tax.uscc"],
    computeModes: ["psi"],
    queryShapes: ["psi-size"],
    minGroupSize: 20,
    epsilonPerQuery: 1,
    epsilonBudget: 50,
    queryQuota: 1_000,
    pricePerQueryFen: 300,
    ...window,
  });
  const score = await as(bank).proposeScenario({
    purpose:
      "A credit score of consenting loan applicants from their headcount and wage bill at the tax bureau and their insured headcount at the social insurance fund, with the bank's model kept encrypted.",
    fields: [
      "ds_enterprise_tax.uscc",
      "ds_enterprise_tax.employees",
      "ds_enterprise_tax.wages_fen",
      "ds_social_insurance.uscc",
      "ds_social_insurance.insured_employees",
    ],
    computeModes: ["he"],
    queryShapes: ["he-score"],
    minGroupSize: 20,
    epsilonPerQuery: 2,
    epsilonBudget: 100,
    queryQuota: 1_000,
    pricePerQueryFen: 1_500,
    ...window,
  });
  const approvals: [string, string[]][] = [
    [joined.id, ["tax", "social"]],
    [applicants.id, ["tax"]],
    [score.id, ["tax", "social"]],
  ];
  for (const [id, owners] of approvals) {
    for (const owner of owners) await as(key(`owner_${owner}`)).decideScenario(id, { decision: "approve" });
  }
}

/** Writes the demo bank's own list of consenting loan applicants (its data, not a department's), once. */
export function writeDemoApplicants(dataDir: string): string {
  const file = path.join(dataDir, "applicants.txt");
  if (!existsSync(file)) {
    const header = "# the demo bank's consenting loan applicants, one unified social credit code per line";
    writeFileSync(file, `${[header, ...demoApplicants()].join("\n")}\n`);
  }
  return file;
}
