import { workerEntry } from "../../lib/runtime-files.js";
import { DEFAULT_POOL_SIZE, WorkerPool } from "../../lib/worker-pool.js";

const asBuffer = (value: Uint8Array) => Buffer.from(value.buffer, value.byteOffset, value.byteLength);

/**
 * Exponentiation off the event loop, on every core: a few worker threads, each taking one chunk at
 * a time. Errors come back typed (psi_point_invalid names the point).
 */
export class PsiPool {
  private readonly pool: WorkerPool;

  constructor(readonly size = DEFAULT_POOL_SIZE) {
    this.pool = new WorkerPool(
      workerEntry("psi-worker.mjs", new URL("./worker-entry.mjs", import.meta.url)),
      "psi_worker_failed",
      size,
    );
  }

  async blindOwn(identifiers: string[], key: Buffer): Promise<Buffer> {
    return asBuffer(await this.pool.run<Uint8Array>("blindOwn", [identifiers, key]));
  }

  async blindPeer(points: Buffer, key: Buffer, firstIndex = 0): Promise<Buffer> {
    return asBuffer(await this.pool.run<Uint8Array>("blindPeer", [points, key, firstIndex]));
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

let shared: PsiPool | undefined;

/** The process's pool, started on first use. */
export function psiPool(): PsiPool {
  shared ??= new PsiPool();
  return shared;
}
