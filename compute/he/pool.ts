import { workerEntry } from "../../lib/runtime-files.js";
import { DEFAULT_POOL_SIZE, WorkerPool } from "../../lib/worker-pool.js";
import type { HePublicKeys } from "./keys.js";
import type { HeParameterSetId } from "./params.js";
import type { scoreBatches } from "./scoring.js";
import type { EncryptedModel } from "./scoring-model.js";
import type { HeOperation } from "./worker.js";

/**
 * SEAL work off the event loop: a few worker threads, each with its own SEAL, each running one
 * operation at a time, so a gateway or node keeps answering while it encrypts or adds. A worker
 * whose operation failed is replaced before it runs another: when SEAL throws on malformed input,
 * its WebAssembly stack is not unwound, and a worker that went on would corrupt later results
 * (the soak test shows it). Errors come back typed (he_key_invalid, ciphertext_invalid).
 */
export class HePool {
  private readonly pool: WorkerPool;

  constructor(size = DEFAULT_POOL_SIZE) {
    this.pool = new WorkerPool(
      workerEntry("he-worker.mjs", new URL("./worker-entry.mjs", import.meta.url)),
      "he_worker_failed",
      size,
      true,
    );
  }

  private run<T>(op: HeOperation, ...args: unknown[]): Promise<T> {
    return this.pool.run<T>(op, args);
  }

  validateHePublicKeys(keys: HePublicKeys): Promise<void> {
    return this.run("validateHePublicKeys", keys);
  }

  encryptVector(paramSet: HeParameterSetId, publicKey: string, values: readonly bigint[]): Promise<string> {
    return this.run("encryptVector", paramSet, publicKey, values);
  }

  addCiphertexts(paramSet: HeParameterSetId, texts: readonly string[]): Promise<string> {
    return this.run("addCiphertexts", paramSet, texts);
  }

  validateScoringModel(
    model: EncryptedModel,
    keys: { publicKey: string; relinKeys?: string },
    featureCount: number,
  ): Promise<void> {
    return this.run("validateScoringModel", model, keys, featureCount);
  }

  /** Scores batches in one worker (which keeps the model loaded for the next call). */
  scoreBatches(request: Parameters<typeof scoreBatches>[0]): Promise<string[]> {
    return this.run("scoreBatches", request);
  }

  /** Adds the owners' partial scores of a vertical score, batch by batch, without opening them, the batches shared among the workers. */
  async addPartialScores(parts: readonly (readonly string[])[]): Promise<string[]> {
    const batches = parts[0]?.length ?? 0;
    if (batches < 2 || parts.some((p) => p.length !== batches)) return this.run("addPartialScores", parts);
    const chunk = Math.ceil(batches / this.size);
    const chunks: Promise<string[]>[] = [];
    for (let start = 0; start < batches; start += chunk) {
      chunks.push(
        this.run(
          "addPartialScores",
          parts.map((p) => p.slice(start, start + chunk)),
        ),
      );
    }
    return (await Promise.all(chunks)).flat();
  }

  /** How many workers run operations side by side. */
  get size(): number {
    return this.pool.size;
  }

  /** The resident memory of the process the workers run in, as each worker reports it. */
  memory(): Promise<number> {
    return this.run("memory");
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

let shared: HePool | undefined;

/** The process's pool, started on first use. */
export function hePool(): HePool {
  shared ??= new HePool();
  return shared;
}
