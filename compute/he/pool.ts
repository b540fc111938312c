import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { SluiceError } from "../../lib/errors.js";
import type { HePublicKeys } from "./keys.js";
import type { HeParameterSetId } from "./params.js";
import type { scoreBatches } from "./scoring.js";
import type { EncryptedModel } from "./scoring-model.js";
import type { HeOperation } from "./worker.js";

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; code: string; message: string };
interface Job {
  id: number;
  op: HeOperation;
  args: unknown[];
  resolve(value: unknown): void;
  reject(error: Error): void;
}
interface Slot {
  worker: Worker;
  current: Job | undefined;
}

/**
 * SEAL work off the event loop: a few worker threads, each with its own SEAL, each running one
 * operation at a time, so a gateway or node keeps answering while it encrypts or adds. A worker
 * whose operation failed is replaced before it runs another: when SEAL throws on malformed input,
 * its WebAssembly stack is not unwound, and a worker that went on would corrupt later results
 * (the soak test shows it). Errors come back typed (he_key_invalid, ciphertext_invalid).
 */
export class HePool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;
  private closed = false;

  constructor(size = Math.max(1, Math.min(2, availableParallelism()))) {
    for (let i = 0; i < size; i++) this.slots.push({ worker: this.spawn(), current: undefined });
  }

  private spawn(): Worker {
    const worker = new Worker(new URL("./worker-entry.mjs", import.meta.url));
    worker.unref();
    worker.on("message", (reply: Reply) => this.settle(worker, reply));
    worker.on("error", (error) =>
      this.settle(worker, {
        id: -1,
        ok: false,
        code: "he_worker_failed",
        message: `a SEAL worker failed: ${error.message}`,
      }),
    );
    return worker;
  }

  private settle(worker: Worker, reply: Reply) {
    const slot = this.slots.find((s) => s.worker === worker);
    const job = slot?.current;
    if (!slot || !job) return;
    slot.current = undefined;
    if (reply.ok) job.resolve(reply.value);
    else {
      job.reject(new SluiceError(reply.code, reply.message));
      void worker.terminate();
      if (!this.closed) slot.worker = this.spawn();
    }
    this.dispatch();
  }

  private dispatch() {
    for (const slot of this.slots) {
      if (slot.current || this.queue.length === 0) continue;
      const job = this.queue.shift() as Job;
      slot.current = job;
      slot.worker.postMessage({ id: job.id, op: job.op, args: job.args });
    }
  }

  private run<T>(op: HeOperation, ...args: unknown[]): Promise<T> {
    if (this.closed) return Promise.reject(new SluiceError("he_worker_failed", "the SEAL pool is closed"));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, op, args, resolve: resolve as (value: unknown) => void, reject });
      this.dispatch();
    });
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

  /** How many workers run operations side by side. */
  get size(): number {
    return this.slots.length;
  }

  /** The resident memory of the process the workers run in, as each worker reports it. */
  memory(): Promise<number> {
    return this.run("memory");
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new SluiceError("he_worker_failed", "the SEAL pool is closed"));
    await Promise.all(this.slots.map(({ worker }) => worker.terminate()));
  }
}

let shared: HePool | undefined;

/** The process's pool, started on first use. */
export function hePool(): HePool {
  shared ??= new HePool();
  return shared;
}
