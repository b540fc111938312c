import { createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { serve } from "@hono/node-server";
import { closeServer } from "../../lib/close-server.js";
import { publicKeyFromPrivatePem } from "../../lib/ed25519.js";
import { createLogger } from "../../lib/logger.js";
import { deriveEncryptionKeys } from "../mpc/channel.js";
import { createNodeApp } from "./app.js";
import { readNodeConfig } from "./config.js";
import type { NodeDataStore } from "./datastore.js";
import { ScoreQuota } from "./score-quota.js";
import { openDataStore } from "./sources.js";
import { SpendLedger } from "./spend-ledger.js";

/** Why a node cannot start: its configuration or key is unusable. */
export class NodeConfigError extends Error {}

function readConfig(file: string) {
  try {
    return readNodeConfig(file);
  } catch (error) {
    throw new NodeConfigError(
      `cannot start the compute node: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/**
 * Runs a compute node from its configuration file until SIGTERM or SIGINT (or, when started with
 * SLUICE_EXIT_WITH_PARENT=1, until its parent's stdin pipe closes). `sluice node` and
 * `npm run node` both come here.
 */
export async function runNodeServer(configFile: string): Promise<void> {
  const config = readConfig(configFile);
  const logger = createLogger({ service: "compute-node" }).child({ nodeId: config.nodeId });
  let privateKeyPem: string;
  let store: NodeDataStore;
  try {
    privateKeyPem = readFileSync(config.keyFile, "utf8");
    store = openDataStore(config);
  } catch (error) {
    throw new NodeConfigError(
      `cannot start the compute node: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const publicKey = publicKeyFromPrivatePem(privateKeyPem);
  const app = createNodeApp({
    nodeId: config.nodeId,
    ownerId: config.ownerId,
    privateKey: createPrivateKey(privateKeyPem),
    publicKey,
    gatewayPublicKey: config.gatewayPublicKey,
    ownerPublicKeys: config.ownerPublicKeys,
    store,
    shareTimeoutMs: config.shareTimeoutMs,
    helper: config.helper,
    peers: config.peers,
    noiseFromLevel: config.noiseFromLevel,
    scoring: Object.fromEntries(config.datasets.flatMap((d) => (d.scoring ? [[d.id, d.scoring]] : []))),
    scoreQuota: new ScoreQuota(config.scoreCountsFile),
    spendLedger: new SpendLedger(config.spendLedgerFile),
    logger,
  });
  const encryptionKey = deriveEncryptionKeys(createPrivateKey(privateKeyPem)).publicKey;

  const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, (info) => {
    const url = `http://${config.host}:${info.port}`;
    // A protocol line for a supervising process, written whatever the log level: where the node listens.
    process.stdout.write(
      `${JSON.stringify({ event: "listening", nodeId: config.nodeId, url, publicKey, encryptionKey })}\n`,
    );
    logger.info({ url }, "node listening");
  });

  return new Promise((resolve) => {
    const shutdown = () =>
      void closeServer(server, 2_000)
        .then(() => store.close())
        .then(resolve);
    process.on("SIGTERM", shutdown);
    process.on("SIGINT", shutdown);
    // A node started by the platform (or a test) ends with it: its stdin pipe closes when the parent dies.
    if (process.env.SLUICE_EXIT_WITH_PARENT === "1") {
      process.stdin.on("close", shutdown);
      process.stdin.resume();
    }
  });
}
