import { parentPort } from "node:worker_threads";
import { SluiceError } from "./errors.js";

/**
 * The worker side of WorkerPool: answers each `{ op, args }` with the operation's value, awaited (a
 * Uint8Array result that owns its memory is transferred, not copied) or its error's code and message.
 */
export function serveOperations(operations: Record<string, (...args: never[]) => unknown>): void {
  parentPort?.on("message", async (message: { op: string; args: unknown[] }) => {
    try {
      const run = operations[message.op] as ((...args: unknown[]) => unknown) | undefined;
      if (!run) throw new SluiceError("internal", `no worker operation ${message.op}`);
      const value = await run(...message.args);
      // Only a buffer that owns its whole memory moves: a small Buffer shares Node's allocation pool.
      const owned =
        value instanceof Uint8Array && value.byteOffset === 0 && value.byteLength === value.buffer.byteLength;
      const transfer = owned ? [value.buffer as ArrayBuffer] : [];
      parentPort?.postMessage({ ok: true, value }, transfer);
    } catch (error) {
      const code = error instanceof SluiceError ? error.code : "internal";
      parentPort?.postMessage({ ok: false, code, message: (error as Error).message });
    }
  });
}
