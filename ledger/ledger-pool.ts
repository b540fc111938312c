import { workerEntry } from "../lib/runtime-files.js";
import { DEFAULT_POOL_SIZE, WorkerPool } from "../lib/worker-pool.js";
import type { DecisionVerdict, replayDecisions } from "./decision-check.js";
import type { checkRecords, RecordCheck } from "./record-check.js";

/** The ledger's CPU work on every core: record checks and decision replays for the audit, Merkle roots for anchoring. */
export class LedgerPool {
  private readonly pool: WorkerPool;

  constructor(size = DEFAULT_POOL_SIZE) {
    this.pool = new WorkerPool(
      workerEntry("ledger-worker.mjs", new URL("./ledger-worker-entry.mjs", import.meta.url)),
      "ledger_worker_failed",
      size,
    );
  }

  checkRecords(...args: Parameters<typeof checkRecords>): Promise<RecordCheck> {
    return this.pool.run<RecordCheck>("checkRecords", args);
  }

  replayDecisions(...args: Parameters<typeof replayDecisions>): Promise<DecisionVerdict[]> {
    return this.pool.run<DecisionVerdict[]>("replayDecisions", args);
  }

  /** The OpenZeppelin-format Merkle root over record hashes (as buildFastRecordTree computes it). */
  recordTreeRoot(recordHashes: string[]): Promise<string> {
    return this.pool.run<string>("recordTreeRoot", [recordHashes]);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

let shared: LedgerPool | undefined;

/** The process's ledger pool, started on first use. */
export function ledgerPool(): LedgerPool {
  shared ??= new LedgerPool();
  return shared;
}

/** Ends the process's ledger pool, so that its idle threads no longer keep the process alive; the next use starts another. */
export async function closeLedgerPool(): Promise<void> {
  const pool = shared;
  shared = undefined;
  await pool?.close();
}
