import { NodeConfigError, runNodeServer } from "./server.js";

// Entry point of a compute node process: `npm run node -- <config.json>` or SLUICE_NODE_CONFIG.
const configFile = process.argv[2] ?? process.env.SLUICE_NODE_CONFIG;
if (!configFile) {
  console.error("usage: npm run node -- <node-config.json>   (or set SLUICE_NODE_CONFIG)");
  process.exit(2);
}
runNodeServer(configFile).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof NodeConfigError ? error.message : error);
    process.exit(2);
  },
);
