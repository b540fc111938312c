import { parentPort } from "node:worker_threads";
import { SluiceError } from "../../lib/errors.js";
import { blindOwn, blindPeer } from "./blind.js";

// One PSI worker: exponentiates chunks for the pool, one at a time.
const OPERATIONS = {
  blindOwn: (identifiers: string[], key: Uint8Array) => blindOwn(identifiers, Buffer.from(key)),
  blindPeer: (points: Uint8Array, key: Uint8Array, firstIndex: number) =>
    blindPeer(Buffer.from(points), Buffer.from(key), firstIndex),
} as const;

export type PsiOperation = keyof typeof OPERATIONS;

parentPort?.on("message", (message: { id: number; op: PsiOperation; args: unknown[] }) => {
  try {
    const run = OPERATIONS[message.op] as (...args: unknown[]) => Buffer;
    const value = run(...message.args);
    parentPort?.postMessage({ id: message.id, ok: true, value }, [value.buffer as ArrayBuffer]);
  } catch (error) {
    const code = error instanceof SluiceError ? error.code : "internal";
    parentPort?.postMessage({ id: message.id, ok: false, code, message: (error as Error).message });
  }
});
