import { serveOperations } from "../../lib/worker-serve.js";
import { validateHePublicKeys } from "./keys.js";
import { addPartialScores } from "./partial-scores.js";
import { scoreBatches, validateScoringModel } from "./scoring.js";
import { addCiphertexts, encryptVector } from "./vectors.js";

// One SEAL worker: loads the WebAssembly once, then runs one operation at a time for the pool.
const OPERATIONS = {
  validateHePublicKeys,
  encryptVector,
  addCiphertexts,
  validateScoringModel,
  scoreBatches,
  addPartialScores,
  memory: async () => process.memoryUsage().rss,
} as const;

export type HeOperation = keyof typeof OPERATIONS;

serveOperations(OPERATIONS);
