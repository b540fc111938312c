import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { SluiceError } from "../../lib/errors.js";
import type { PsiOperation } from "./worker.js";

type Reply = { id: number; ok: true; value: Uint8Array } | { id: number; ok: false; code: string; message: string };
interface Job {
  id: number;
  op: PsiOperation;
  args: unknown[];
  resolve(value: Buffer): void;
  reject(error: Error): void;
}

/**
 * Exponentiation off the event loop, on every core: a few worker threads, each taking one chunk at
 * a time. Errors come back typed (psi_point_invalid names the point).
 */
export class PsiPool {
  private readonly workers: { worker: Worker; current: Job | undefined }[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;
  private closed = false;

  constructor(readonly size = Math.max(1, Math.min(2, availableParallelism()))) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(new URL("./worker-entry.mjs", import.meta.url));
      worker.unref();
      const slot = { worker, current: undefined as Job | undefined };
      worker.on("message", (reply: Reply) => this.settle(slot, reply));
      worker.on("error", (error) =>
        this.settle(slot, { id: -1, ok: false, code: "psi_worker_failed", message: error.message }),
      );
      this.workers.push(slot);
    }
  }

  private settle(slot: { current: Job | undefined }, reply: Reply) {
    const job = slot.current;
    slot.current = undefined;
    if (job) {
      if (reply.ok) job.resolve(Buffer.from(reply.value.buffer, reply.value.byteOffset, reply.value.byteLength));
      else job.reject(new SluiceError(reply.code, reply.message));
    }
    this.dispatch();
  }

  private dispatch() {
    for (const slot of this.workers) {
      if (slot.current || this.queue.length === 0) continue;
      const job = this.queue.shift() as Job;
      slot.current = job;
      slot.worker.postMessage({ id: job.id, op: job.op, args: job.args });
    }
  }

  private run(op: PsiOperation, ...args: unknown[]): Promise<Buffer> {
    if (this.closed) return Promise.reject(new SluiceError("psi_worker_failed", "the PSI pool is closed"));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, op, args, resolve, reject });
      this.dispatch();
    });
  }

  blindOwn(identifiers: string[], key: Buffer): Promise<Buffer> {
    return this.run("blindOwn", identifiers, key);
  }

  blindPeer(points: Buffer, key: Buffer, firstIndex = 0): Promise<Buffer> {
    return this.run("blindPeer", points, key, firstIndex);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new SluiceError("psi_worker_failed", "the PSI pool is closed"));
    await Promise.all(this.workers.map(({ worker }) => worker.terminate()));
  }
}

let shared: PsiPool | undefined;

/** The process's pool, started on first use. */
export function psiPool(): PsiPool {
  shared ??= new PsiPool();
  return shared;
}
