import { startPlatform } from "../../gateway/platform.js";
import { createLogger } from "../../lib/logger.js";

/** `npm start`'s platform on its embedded defaults with the demo, in `dataDir`, anchoring every 100 ms, silent. */
export function startDemoPlatform(dataDir: string) {
  return startPlatform({
    dataDir,
    host: "127.0.0.1",
    port: 0,
    demo: true,
    anchorIntervalMs: 100,
    anchorMaxBatch: 256,
    logger: createLogger({ service: "gateway", level: "silent" }),
  });
}
