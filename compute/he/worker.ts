import { parentPort } from "node:worker_threads";
import { SluiceError } from "../../lib/errors.js";
import { validateHePublicKeys } from "./keys.js";
import { scoreBatches, validateScoringModel } from "./scoring.js";
import { addCiphertexts, encryptVector } from "./vectors.js";

// One SEAL worker: loads the WebAssembly once, then runs one operation at a time for the pool.
const OPERATIONS = {
  validateHePublicKeys,
  encryptVector,
  addCiphertexts,
  validateScoringModel,
  scoreBatches,
  memory: async () => process.memoryUsage().rss,
} as const;

export type HeOperation = keyof typeof OPERATIONS;

parentPort?.on("message", async (message: { id: number; op: HeOperation; args: unknown[] }) => {
  try {
    const run = OPERATIONS[message.op] as (...args: unknown[]) => Promise<unknown>;
    parentPort?.postMessage({ id: message.id, ok: true, value: await run(...message.args) });
  } catch (error) {
    const code = error instanceof SluiceError ? error.code : "internal";
    parentPort?.postMessage({ id: message.id, ok: false, code, message: (error as Error).message });
  }
});
