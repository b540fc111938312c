import { and, asc, eq, gte, isNull, sql } from "drizzle-orm";
import { newId } from "../lib/ids.js";
import { type AnchorBatch, anchorBatches, type Db, usageRecords } from "../store/index.js";
import type { LedgerClient } from "./client.js";
import { LedgerError } from "./errors.js";
import { buildFastRecordTree } from "./fast-merkle.js";
import type { LedgerPool } from "./ledger-pool.js";
import { checkRecords, RECORD_INTACT } from "./record-check.js";

/** The points of an anchoring pass where a crash leaves different state behind (the kill tests stop at each). */
export type AnchorStep = "batch-sealed" | "transaction-sent" | "receipt-received" | "batch-marked";

export interface AnchorOptions {
  db: Db;
  ledger: LedgerClient;
  /** The gateway's Ed25519 key: a record whose signature does not verify is never sealed. */
  gatewayPublicKey: string;
  /** Told of waiting records refused for sealing (altered or forged before anchoring); they stay unanchored. */
  onRejected?: (recordIds: string[]) => void;
  /** Most records in one batch; this many waiting records are anchored at once. */
  maxBatchSize?: number;
  /** Fewer records than a full batch wait until the oldest has waited this long (ms); 0 anchors at once. */
  maxWaitMs?: number;
  /**
   * Blocks after which an anchored batch can no longer be reorganised away (0 on an instant-finality
   * chain such as QBFT or the embedded one). Batches younger than this are checked on every pass
   * and sent again if a reorganisation dropped them.
   */
  finalityBlocks?: number;
  now?: () => Date;
  /** Computes batch roots off the event loop, alongside the database's work; inline when absent. */
  pool?: LedgerPool;
  /** Called at each step of a pass (tests kill the process here). */
  onStep?: (step: AnchorStep, batchId: string) => void;
}

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

/**
 * Which waiting records may be sealed (content against hash, the gateway's signature: once
 * anchored, the chain's copy of a leaf is what the audit trusts) and the root over those, on the
 * ledger pool: the root over all of them and the checks at once, the root built again
 * only when a record is refused.
 */
async function checkForSealing(
  options: AnchorOptions,
  waiting: { text: string; recordHash: string; signature: string }[],
): Promise<{ root: string | null; rejected: number[] }> {
  const { pool } = options;
  const check = (from: number, to: number) => {
    const part = waiting.slice(from, to);
    const args = [
      part.map((r) => r.text),
      part.map((r) => r.recordHash),
      part.map(() => null),
      part.map((r) => r.signature),
      options.gatewayPublicKey,
    ] as const;
    return pool ? pool.checkRecords(...args) : Promise.resolve(checkRecords(...args));
  };
  const rootOf = (hashes: string[]) =>
    pool ? pool.recordTreeRoot(hashes) : Promise.resolve().then(() => buildFastRecordTree(hashes).root);
  // The root first, then the checks in quarters: the two workers share them out evenly.
  const optimistic = rootOf(waiting.map((r) => r.recordHash));
  // Awaited below unless a record is refused; a failure meanwhile must not count as unhandled.
  optimistic.catch(() => {});
  const quarter = Math.ceil(waiting.length / 4);
  const checks = await Promise.all(
    [0, 1, 2, 3].map((q) => check(q * quarter, Math.min(waiting.length, (q + 1) * quarter))),
  );
  const status = checks.flatMap((c) => [...c.status]);
  const rejected = status.flatMap((s, i) => (s === RECORD_INTACT ? [] : [i]));
  if (rejected.length === 0) return { root: await optimistic, rejected };
  const sealable = waiting.filter((_, i) => status[i] === RECORD_INTACT).map((r) => r.recordHash);
  return { root: sealable.length > 0 ? await rootOf(sealable) : null, rejected };
}

/** A sealed batch's record hashes in leaf order, as its root was built from them. */
async function leavesOf(options: AnchorOptions, batch: AnchorBatch): Promise<string[]> {
  const rows = await options.db
    .select({ recordHash: usageRecords.recordHash })
    .from(usageRecords)
    .where(eq(usageRecords.batchId, batch.id))
    .orderBy(asc(usageRecords.leafIndex));
  if (rows.length !== batch.recordCount) {
    throw new LedgerError(
      "anchor_failed",
      `batch ${batch.id} was sealed with ${batch.recordCount} records but ${rows.length} are stored in it`,
    );
  }
  return rows.map((r) => r.recordHash);
}

async function send(options: AnchorOptions, batch: AnchorBatch) {
  const onChain = await options.ledger.getBatch(batch.id);
  if (onChain && onChain.root !== batch.root) {
    throw new LedgerError(
      "anchor_conflict",
      `batch ${batch.id} is on chain with root ${onChain.root}, not ${batch.root}`,
    );
  }
  // Idempotent: a batch whose transaction went out before a crash is found on chain and not sent again.
  const receipt = onChain
    ? await options.ledger.findAnchorTransaction(batch.id)
    : await options.ledger.anchorBatch(
        {
          batchId: batch.id,
          root: batch.root,
          leaves: await leavesOf(options, batch),
          feeTotalFen: BigInt(batch.feeTotalFen),
          periodStart: seconds(batch.periodStart),
          periodEnd: seconds(batch.periodEnd),
        },
        () => options.onStep?.("transaction-sent", batch.id),
      );
  options.onStep?.("receipt-received", batch.id);
  await options.db
    .update(anchorBatches)
    .set({
      status: "anchored",
      txHash: receipt?.txHash ?? null,
      blockNumber: receipt?.blockNumber ?? null,
      anchoredAt: new Date(),
    })
    .where(eq(anchorBatches.id, batch.id));
  options.onStep?.("batch-marked", batch.id);
}

/**
 * Sends again any batch anchored within the last `finalityBlocks` blocks that the chain no longer
 * holds (a reorganisation dropped its transaction). Returns the batches sent back.
 */
async function recheckUnfinalised(options: AnchorOptions): Promise<string[]> {
  const depth = options.finalityBlocks ?? 0;
  if (depth <= 0) return [];
  const head = await options.ledger.blockNumber();
  const recent = await options.db
    .select()
    .from(anchorBatches)
    .where(and(eq(anchorBatches.status, "anchored"), gte(anchorBatches.blockNumber, head - depth)));
  const dropped: string[] = [];
  for (const batch of recent) {
    if (await options.ledger.getBatch(batch.id)) continue;
    await options.db
      .update(anchorBatches)
      .set({ status: "sending", txHash: null, blockNumber: null, anchoredAt: null })
      .where(eq(anchorBatches.id, batch.id));
    dropped.push(batch.id);
  }
  if (dropped.length > 0) options.ledger.resetNonce();
  return dropped;
}

/**
 * Seals the oldest waiting records into a batch (status `sending`) when a batch is full or has
 * waited long enough. Each is checked first on the ledger pool (content against hash, the
 * gateway's signature), which also computes the root over those that pass; one that fails stays
 * unanchored and is reported, never sealed.
 */
async function sealBatch(options: AnchorOptions): Promise<AnchorBatch | null> {
  const maxBatchSize = options.maxBatchSize ?? 256;
  const now = (options.now?.() ?? new Date()).getTime();
  return options.db.transaction(async (tx) => {
    const waiting = await tx
      .select({
        id: usageRecords.id,
        recordHash: usageRecords.recordHash,
        text: sql<string>`(${usageRecords.record})::text`,
        signature: usageRecords.gatewaySignature,
        // The fee the gateway signed, not a column beside it that could say otherwise.
        feeFen: sql<string>`${usageRecords.record}->>'feeFen'`,
        createdAt: usageRecords.createdAt,
      })
      .from(usageRecords)
      .where(isNull(usageRecords.batchId))
      .orderBy(asc(usageRecords.createdAt), asc(usageRecords.id))
      .limit(maxBatchSize)
      .for("update", { skipLocked: true });
    const oldest = waiting[0];
    if (!oldest) return null;
    if (waiting.length < maxBatchSize && now - oldest.createdAt.getTime() < (options.maxWaitMs ?? 0)) return null;
    const checked = await checkForSealing(options, waiting);
    if (checked.rejected.length > 0) options.onRejected?.(checked.rejected.map((i) => waiting[i]?.id as string));
    const refused = new Set(checked.rejected);
    const pending = waiting.filter((_, i) => !refused.has(i));
    if (pending.length === 0 || !checked.root) return null;
    const id = newId("batch", 12);
    await tx.execute(sql`
      update usage_records set batch_id = ${id}, leaf_index = leaf.position - 1
      from jsonb_array_elements_text(${JSON.stringify(pending.map((r) => r.id))}::jsonb) with ordinality as leaf(id, position)
      where usage_records.id = leaf.id`);
    let first = Number.POSITIVE_INFINITY;
    let last = 0;
    let feeTotalFen = 0n;
    for (const r of pending) {
      first = Math.min(first, r.createdAt.getTime());
      last = Math.max(last, r.createdAt.getTime());
      feeTotalFen += BigInt(r.feeFen ?? 0);
    }
    const [row] = await tx
      .insert(anchorBatches)
      .values({
        id,
        root: checked.root,
        recordCount: pending.length,
        feeTotalFen: Number(feeTotalFen),
        periodStart: new Date(first),
        periodEnd: new Date(last),
        status: "sending",
      })
      .returning();
    if (!row) throw new LedgerError("anchor_failed", "the batch row was not written");
    return row;
  });
}

/** Before sealing anything new: send back what a reorganisation dropped, and finish what a crash left half-sent. */
async function finishUnsent(options: AnchorOptions) {
  await recheckUnfinalised(options);
  for (const stuck of await options.db.select().from(anchorBatches).where(eq(anchorBatches.status, "sending"))) {
    await send(options, stuck);
  }
}

/**
 * One pass of the anchoring worker: send back any batch a reorganisation dropped, finish any batch
 * a crash left half-sent, then seal the oldest waiting records into a new batch (when full, or when
 * the oldest has waited `maxWaitMs`) and anchor its Merkle root. Returns the batch anchored, if any.
 */
export async function anchorPending(options: AnchorOptions): Promise<{ batchId: string; recordCount: number } | null> {
  await finishUnsent(options);
  const batch = await sealBatch(options);
  if (!batch) return null;
  options.onStep?.("batch-sealed", batch.id);
  await send(options, batch);
  return { batchId: batch.id, recordCount: batch.recordCount };
}

/**
 * Anchors the backlog, up to `maxBatches` batches: like anchorPending, but the next batch is sealed
 * while the previous one's transaction is out, so the database and the chain work at once. The
 * worker's pass; a crash anywhere leaves each batch where anchorPending finds and finishes it.
 */
export async function anchorBacklog(
  options: AnchorOptions,
  maxBatches = 16,
): Promise<{ batches: number; records: number }> {
  await finishUnsent(options);
  let batches = 0;
  let records = 0;
  let batch = await sealBatch(options);
  while (batch) {
    options.onStep?.("batch-sealed", batch.id);
    const sent = send(options, batch);
    const next = batches + 1 < maxBatches ? sealBatch(options) : Promise.resolve(null);
    // Awaited after the send; if the send fails first, the sealed batch waits for the next pass.
    next.catch(() => {});
    await sent;
    batches += 1;
    records += batch.recordCount;
    batch = await next;
  }
  return { batches, records };
}
