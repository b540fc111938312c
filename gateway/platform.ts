import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import type { JsonRpcProvider } from "ethers";
import {
  ANCHORING_LEASE,
  closeLedgerPool,
  connectContracts,
  createAnchorWorker,
  createChainProvider,
  createLeaderLease,
  EMBEDDED_CHAIN_PRIVATE_KEY,
  type EmbeddedChain,
  ledgerPool,
  startEmbeddedChain,
  transactionOverrides,
} from "../ledger/index.js";
import { closeServer } from "../lib/close-server.js";
import { createLogger, type Logger } from "../lib/logger.js";
import { createDb, type Database, participants } from "../store/index.js";
import { createApp } from "./app.js";
import { createAuthState } from "./auth/auth-state.js";
import { seedDemo, startDemoNodes, writeDemoApplicants } from "./demo.js";
import type { GatewayLimits } from "./deps.js";
import { replicaLease, startStaleJobSweep } from "./jobs/sweep.js";
import { loadGatewayKeys, loadOrCreateGatewayKeys, loadOrCreateKeyFile } from "./keys.js";
import { listenGateway } from "./listen.js";
import type { NodeProcess } from "./node-processes.js";
import { insertParticipant } from "./services/participants.js";

export interface PlatformConfig {
  dataDir: string;
  host: string;
  port: number;
  /** PostgreSQL URL; PGlite in `dataDir/db` when absent. */
  databaseUrl?: string;
  /** External EVM chain; an embedded Hardhat chain in `dataDir/chain` when absent. */
  chainRpcUrl?: string;
  chainPrivateKey?: string;
  /** Start the demo owner nodes and seed the demo participants. */
  demo: boolean;
  anchorIntervalMs: number;
  anchorMaxBatch: number;
  /** A partial batch is anchored once its oldest record has waited this long (ms). */
  anchorMaxWaitMs?: number;
  /** Longest pause between anchoring attempts while the chain fails (ms). */
  anchorMaxBackoffMs?: number;
  /** How long the anchoring replica's lease lasts unless renewed: a standby takes over within about this (ms). */
  anchorLeaseMs?: number;
  chain?: {
    confirmations?: number;
    /** Blocks after which an anchored batch is final; younger ones are re-checked for reorganisations. */
    finalityBlocks?: number;
    gasPriceWei?: bigint;
    gasLimit?: bigint;
  };
  limits?: Partial<GatewayLimits>;
  /** The gateway's signing key, kept outside the data folder (SLUICE_GATEWAY_KEY_FILE); created in it when absent. */
  gatewayKeyFile?: string;
  /** The origin browsers reach the console at, when a proxy stands in front (SLUICE_PUBLIC_ORIGIN). */
  publicOrigin?: string;
  /** The chain's JSON-RPC address as regulators may reach it (SLUICE_PUBLIC_RPC_URL); the embedded chain's own by default. */
  publicRpcUrl?: string;
  logger?: Logger;
}

export interface Platform {
  url: string;
  keysDir: string;
  stop(): Promise<void>;
}

/** How long requests in flight may take to finish once the platform stops, before their connections are cut. */
const SERVER_GRACE_MS = 3_000;

/** Opens the database and chain, deploys the contracts once, starts the demo nodes, the anchoring worker and the HTTP server. */
export async function startPlatform(config: PlatformConfig): Promise<Platform> {
  const logger = config.logger ?? createLogger({ service: "gateway" });
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((error) => logger.error({ err: error }, "stop failed"));
  };
  try {
    mkdirSync(config.dataDir, { recursive: true });
    const keysDir = path.join(config.dataDir, "keys");
    const gatewayKeys = config.gatewayKeyFile
      ? loadGatewayKeys(config.gatewayKeyFile)
      : loadOrCreateGatewayKeys(keysDir);

    const database: Database = await createDb({ url: config.databaseUrl, dataDir: path.join(config.dataDir, "db") });
    stops.push(() => database.close());

    let provider: JsonRpcProvider;
    let chainKey: string;
    let publicRpcUrl = config.publicRpcUrl;
    if (config.chainRpcUrl) {
      if (!config.chainPrivateKey)
        throw new Error("CHAIN_RPC_URL needs SLUICE_CHAIN_PRIVATE_KEY: the account that deploys and anchors");
      provider = createChainProvider(config.chainRpcUrl);
      chainKey = config.chainPrivateKey;
      stops.push(async () => provider.destroy());
    } else {
      const chain: EmbeddedChain = await startEmbeddedChain({ dataDir: path.join(config.dataDir, "chain") });
      stops.push(() => chain.stop());
      provider = chain.provider;
      // The embedded chain is reachable on this machine: a regulator here can check against it directly.
      publicRpcUrl ??= chain.rpcUrl;
      chainKey = config.chainPrivateKey ?? EMBEDDED_CHAIN_PRIVATE_KEY;
    }
    const { ledger, participantRegistry, authorisationRegistry, settlement } = await connectContracts(
      database.db,
      provider,
      chainKey,
      {
        confirmations: config.chain?.confirmations,
        transactionOverrides: transactionOverrides(config.chain ?? {}),
      },
    );

    const authority = loadOrCreateKeyFile(keysDir, "authority");
    const [existing] = await database.db.select().from(participants).where(eq(participants.role, "authority"));
    if (!existing) {
      await database.db.transaction((tx) =>
        insertParticipant(tx, {
          id: authority.id,
          name: "数据授权运营主管部门 (Data Authority)",
          role: "authority",
          publicKey: authority.publicKey,
        }),
      );
    }

    // PGlite lives in this process alone; on PostgreSQL other replicas may share the nonces.
    const auth = createAuthState({
      db: database.db,
      listen: database.listen,
      logger,
      sharedNonces: database.driver === "postgres",
    });
    stops.push(() => auth.stop());
    await auth.ready();
    // This replica's liveness: while it renews its lease, no other replica ends the jobs it runs.
    // Stopped late (stops run in reverse): after the server has finished its requests.
    const replicaId = `${hostname()}/${process.pid}/${randomBytes(4).toString("hex")}`;
    const alive = createLeaderLease({
      db: database.db,
      name: replicaLease(replicaId),
      holder: replicaId,
      ttlMs: 6_000,
      logger,
    });
    await alive.start();
    stops.push(() => alive.stop());
    // One replica at a time anchors and sends from the chain account; the others stand by.
    const lease = createLeaderLease({
      db: database.db,
      name: ANCHORING_LEASE,
      holder: replicaId,
      ttlMs: config.anchorLeaseMs ?? 6_000,
      logger,
    });
    await lease.start();
    stops.push(() => lease.stop());
    const app = createApp({
      db: database.db,
      pingDatabase: database.ping,
      ledger,
      participantRegistry,
      authorisationRegistry,
      settlement,
      gatewayKeys,
      limits: config.limits,
      logger,
      auth,
      replicated: database.driver === "postgres",
      anchoringLeader: () => lease.held,
      replicaId,
      ...(config.publicOrigin ? { console: { publicOrigin: config.publicOrigin } } : {}),
      ...(publicRpcUrl ? { publicRpcUrl } : {}),
    });

    let nodes: NodeProcess[] = [];
    if (config.demo) {
      // The nodes log JSON lines of their own; they join the platform's output unless it is silent.
      const forward = logger.level === "silent" ? undefined : (line: string) => process.stdout.write(`${line}\n`);
      nodes = await startDemoNodes(config.dataDir, gatewayKeys.publicKey, forward, config.databaseUrl);
      stops.push(async () => void (await Promise.all(nodes.map((n) => n.stop()))));
      const inProcess: typeof fetch = async (input, init) => app.request(new Request(input, init));
      await seedDemo({ db: database.db, keysDir, authority, nodes, fetch: inProcess, now: new Date() });
      writeDemoApplicants(config.dataDir);
    }

    // Closed last but one (stops run in reverse): after the worker that uses it.
    stops.push(() => closeLedgerPool());
    const worker = createAnchorWorker({
      gatewayPublicKey: gatewayKeys.publicKey,
      onRejected: (recordIds) =>
        logger.error({ recordIds }, "usage records that no longer verify were not anchored; audit the period"),
      db: database.db,
      ledger,
      participantRegistry,
      authorisationRegistry,
      settlement,
      intervalMs: config.anchorIntervalMs,
      maxBatchSize: config.anchorMaxBatch,
      maxWaitMs: config.anchorMaxWaitMs ?? 0,
      maxBackoffMs: config.anchorMaxBackoffMs,
      finalityBlocks: config.chain?.finalityBlocks,
      pool: ledgerPool(),
      lease,
      onError: (error, retryInMs) => logger.warn({ err: error, retryInMs }, "anchoring failed; will retry"),
    });
    worker.start();
    stops.push(() => worker.stop());
    const sweep = startStaleJobSweep({ db: database.db, gatewayKeys, logger });
    stops.push(async () => sweep.stop());

    const server = await listenGateway(app, config.host, config.port);
    stops.push(() => closeServer(server, SERVER_GRACE_MS));
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : config.port;
    logger.info(
      {
        url: `http://${config.host}:${port}`,
        database: database.driver,
        chain: config.chainRpcUrl ?? "embedded hardhat",
        usageLedger: ledger.address,
        participantRegistry: participantRegistry.address,
        authorisationRegistry: authorisationRegistry.address,
        nodes: nodes.map((n) => ({ id: n.nodeId, url: n.url })),
      },
      "sluice is running",
    );
    return { url: `http://${config.host}:${port}`, keysDir, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
