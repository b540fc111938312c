import { and, asc, eq, isNull, lte } from "drizzle-orm";
import { newId } from "../lib/ids.js";
import { type AnchorBatch, anchorBatches, type Db, usageRecords } from "../store/index.js";
import type { LedgerClient } from "./client.js";
import { LedgerError } from "./errors.js";
import { buildFastRecordTree } from "./fast-merkle.js";
import { anchorParticipantEvents, type ParticipantRegistryClient } from "./participant-registry.js";

export interface AnchorOptions {
  db: Db;
  ledger: LedgerClient;
  /** Most records in one batch. */
  maxBatchSize?: number;
  /** Records younger than this (ms) wait, so a batch can fill; 0 anchors at once. */
  minAgeMs?: number;
  now?: () => Date;
}

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

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
    : await options.ledger.anchorBatch({
        batchId: batch.id,
        root: batch.root,
        recordCount: batch.recordCount,
        feeTotalFen: BigInt(batch.feeTotalFen),
        periodStart: seconds(batch.periodStart),
        periodEnd: seconds(batch.periodEnd),
      });
  await options.db
    .update(anchorBatches)
    .set({
      status: "anchored",
      txHash: receipt?.txHash ?? null,
      blockNumber: receipt?.blockNumber ?? null,
      anchoredAt: new Date(),
    })
    .where(eq(anchorBatches.id, batch.id));
}

/**
 * One pass of the anchoring worker: finish any batch a crash left half-sent, then seal the oldest
 * unanchored records into a new batch and anchor its Merkle root. Returns the batch anchored, if any.
 */
export async function anchorPending(options: AnchorOptions): Promise<{ batchId: string; recordCount: number } | null> {
  const { db } = options;
  for (const stuck of await db.select().from(anchorBatches).where(eq(anchorBatches.status, "sending"))) {
    await send(options, stuck);
  }
  const cutoff = new Date((options.now?.() ?? new Date()).getTime() - (options.minAgeMs ?? 0));
  const batch = await db.transaction(async (tx) => {
    const pending = await tx
      .select({
        id: usageRecords.id,
        recordHash: usageRecords.recordHash,
        feeFen: usageRecords.feeFen,
        createdAt: usageRecords.createdAt,
      })
      .from(usageRecords)
      .where(and(isNull(usageRecords.batchId), lte(usageRecords.createdAt, cutoff)))
      .orderBy(asc(usageRecords.createdAt), asc(usageRecords.id))
      .limit(options.maxBatchSize ?? 256)
      .for("update");
    if (pending.length === 0) return null;
    const tree = buildFastRecordTree(pending.map((r) => r.recordHash));
    const times = pending.map((r) => r.createdAt.getTime());
    const [row] = await tx
      .insert(anchorBatches)
      .values({
        id: newId("batch", 12),
        root: tree.root,
        recordCount: pending.length,
        feeTotalFen: pending.reduce((sum, r) => sum + r.feeFen, 0),
        periodStart: new Date(Math.min(...times)),
        periodEnd: new Date(Math.max(...times)),
        status: "sending",
      })
      .returning();
    for (const [leafIndex, record] of pending.entries()) {
      await tx.update(usageRecords).set({ batchId: row?.id, leafIndex }).where(eq(usageRecords.id, record.id));
    }
    return row ?? null;
  });
  if (!batch) return null;
  await send(options, batch);
  return { batchId: batch.id, recordCount: batch.recordCount };
}

/** Runs anchorPending on an interval until stopped; failures wait for the next tick (the chain may be down). */
export function createAnchorWorker(
  options: AnchorOptions & {
    intervalMs?: number;
    onError?: (error: unknown) => void;
    /** Also anchor admissions, key rotations and revocations. */
    participantRegistry?: ParticipantRegistryClient;
  },
) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    const registry = options.participantRegistry;
    running = Promise.all([anchorPending(options), registry ? anchorParticipantEvents(options.db, registry) : 0])
      .catch((error) => options.onError?.(error))
      .finally(() => {
        if (timer) timer = setTimeout(tick, options.intervalMs ?? 2_000);
      });
  };
  return {
    start() {
      timer = setTimeout(tick, 0);
    },
    async stop() {
      clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
