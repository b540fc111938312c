import { createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { serve } from "@hono/node-server";
import { publicKeyFromPrivatePem } from "../../lib/ed25519.js";
import { createLogger } from "../../lib/logger.js";
import { deriveEncryptionKeys } from "../mpc/channel.js";
import { createNodeApp } from "./app.js";
import { readNodeConfig } from "./config.js";
import { createMemoryDataStore, loadCsvDataset } from "./datastore.js";

// Entry point of an owner's compute node: `npm run node -- <config.json>` or SLUICE_NODE_CONFIG.
const configFile = process.argv[2] ?? process.env.SLUICE_NODE_CONFIG;
if (!configFile) {
  console.error("usage: npm run node -- <node-config.json>   (or set SLUICE_NODE_CONFIG)");
  process.exit(2);
}

function readConfigOrExit(file: string) {
  try {
    return readNodeConfig(file);
  } catch (error) {
    console.error(`cannot start the compute node: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  }
}

const config = readConfigOrExit(configFile);
const logger = createLogger({ service: "compute-node" }).child({ nodeId: config.nodeId });
const privateKeyPem = readFileSync(config.keyFile, "utf8");
const publicKey = publicKeyFromPrivatePem(privateKeyPem);
const store = createMemoryDataStore(config.datasets.map((d) => loadCsvDataset(d.id, d.file, d.columns)));
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
  noiseFromLevel: config.noiseFromLevel,
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

function shutdown() {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2_000).unref();
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
// A node started by the platform (or a test) ends with it: its stdin pipe closes when the parent dies.
if (process.env.SLUICE_EXIT_WITH_PARENT === "1") {
  process.stdin.on("close", shutdown);
  process.stdin.resume();
}
