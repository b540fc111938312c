import { availableParallelism } from "node:os";
import { type Transferable, Worker } from "node:worker_threads";
import { type ErrorCode, isErrorCode } from "./error-codes.js";
import { SluiceError } from "./errors.js";

type Reply = { ok: true; value: unknown } | { ok: false; code: string; message: string };

/** A worker's error code as the pool rethrows it: one of ours, or `internal` for anything else. */
const knownCode = (code: string): ErrorCode => (isErrorCode(code) ? code : "internal");
interface Job {
  op: string;
  args: unknown[];
  transfer: Transferable[];
  resolve(value: unknown): void;
  reject(error: Error): void;
}
interface Slot {
  worker: Worker;
  current: Job | undefined;
}

/** Two workers on this two-core machine; never more than the cores there are. */
export const DEFAULT_POOL_SIZE = Math.max(1, Math.min(2, availableParallelism()));

/**
 * CPU-bound work off the event loop: a few worker threads (each loading `entry`, which serves
 * operations with `serveOperations`), each running one operation at a time, in the order asked.
 * A failed operation comes back as a SluiceError with the worker's code; a worker that crashes is
 * replaced (and, when asked, one whose operation failed).
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private closed = false;

  constructor(
    private readonly entry: URL,
    /** The error code for a pool that is closed or a worker that crashed. */
    private readonly failureCode: ErrorCode,
    readonly size = DEFAULT_POOL_SIZE,
    /**
     * Replace a worker whose operation failed before it runs another (for libraries, such as SEAL's
     * WebAssembly, that a thrown error can leave in a bad state).
     */
    private readonly replaceAfterFailure = false,
  ) {
    for (let i = 0; i < size; i++) this.slots.push({ worker: this.spawn(), current: undefined });
  }

  private spawn(): Worker {
    const worker = new Worker(this.entry);
    worker.unref();
    worker.on("message", (reply: Reply) => this.settle(worker, reply));
    worker.on("error", (error) => {
      const slot = this.slots.find((s) => s.worker === worker);
      if (!slot) return;
      const job = slot.current;
      slot.current = undefined;
      // The replacement takes the queue; nothing more goes to the dead thread.
      if (!this.closed) slot.worker = this.spawn();
      job?.reject(new SluiceError(this.failureCode, `a worker failed: ${error.message}`));
      this.dispatch();
    });
    return worker;
  }

  private settle(worker: Worker, reply: Reply) {
    const slot = this.slots.find((s) => s.worker === worker);
    const job = slot?.current;
    if (!slot || !job) return;
    slot.current = undefined;
    if (reply.ok) job.resolve(reply.value);
    else {
      job.reject(new SluiceError(knownCode(reply.code), reply.message));
      if (this.replaceAfterFailure && !this.closed) {
        void worker.terminate();
        slot.worker = this.spawn();
      }
    }
    this.dispatch();
  }

  private dispatch() {
    for (const slot of this.slots) {
      if (slot.current || this.queue.length === 0) continue;
      const job = this.queue.shift() as Job;
      slot.current = job;
      slot.worker.postMessage({ op: job.op, args: job.args }, job.transfer);
    }
  }

  /** Runs `op` on the next free worker; `transfer` moves buffers instead of copying them. */
  run<T>(op: string, args: unknown[], transfer: Transferable[] = []): Promise<T> {
    if (this.closed) return Promise.reject(new SluiceError(this.failureCode, "the worker pool is closed"));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ op, args, transfer, resolve: resolve as (value: unknown) => void, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new SluiceError(this.failureCode, "the worker pool is closed"));
    await Promise.all(this.slots.map(({ worker }) => worker.terminate()));
  }
}
