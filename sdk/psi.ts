import { newEncryptionKeys, open } from "../compute/mpc/channel.js";
import { decodeVector } from "../compute/mpc/ring.js";
import { newBlindingKey, POINT_BYTES } from "../compute/psi/blind.js";
import { SpilledIdentifiers } from "../compute/psi/distinct-spill.js";
import { setBit } from "../compute/psi/helper-protocol.js";
import type { IdentifierKind } from "../compute/psi/identifiers.js";
import { PsiPool } from "../compute/psi/pool.js";
import { blindAll, reblindAll } from "../compute/psi/pooled-blinding.js";
import { operatorSharesContext } from "../compute/psi/protocol.js";
import { BUCKETS, joinBuckets, PointBuckets, ScratchDir } from "../compute/psi/spill.js";
import { mapConcurrently } from "../lib/map-concurrently.js";
import type { PsiStartRequest, SluiceClient } from "./client.js";

export interface PsiOutcome {
  jobId: string;
  usageRecordId: string | undefined;
  /**
   * The intersection's size as released: noisy when the job asked ε > 0, null when below k; for a
   * sum, the exact number of the owner's entities matched (which matching reveals to you).
   */
  size: number | null;
  suppressed: boolean;
  /** For membership: your identifiers the owner holds, normalised. */
  members?: string[];
  /** For a sum: the owner's column summed over the intersection, noisy, in the field's unit; null below k. */
  sum?: number | null;
  /** Your identifiers refused before hashing (not valid codes), and how many repeated. */
  invalid: { index: number; value: string; reason: string }[];
  duplicates: number;
  /** How many distinct identifiers the owner brought. */
  ownerCount: number;
  /** With combineWith: how many the second owner brought. */
  secondOwnerCount?: number;
}

const POSITION = 4;
const SHARE = 16;
/** Identifiers normalised between two turns of the event loop. */
const NORMALISE_SLICE = 100_000;
/** Pages and chunks in flight at once: enough to keep the pool and the network busy together. */
const LANES = 4;

/** Records of points with their position (and, for a sum, a share) beside each. */
function withPositions(points: Buffer, first: number, shares?: Buffer): Buffer {
  const count = points.length / POINT_BYTES;
  const width = POINT_BYTES + POSITION + (shares ? SHARE : 0);
  const records = Buffer.alloc(count * width);
  for (let i = 0; i < count; i++) {
    points.copy(records, i * width, i * POINT_BYTES, (i + 1) * POINT_BYTES);
    records.writeUInt32LE(first + i, i * width + POINT_BYTES);
    shares?.copy(records, i * width + POINT_BYTES + POSITION, i * SHARE, (i + 1) * SHARE);
  }
  return records;
}

/** Your identifiers marked in `inSet` (by their position in the pages), in the order you gave them. */
function membersInInputOrder(mine: SpilledIdentifiers, inSet: Uint8Array): string[] {
  const found: { identifier: string; row: number }[] = [];
  for (let p = 0; p < mine.pageCount; p++) {
    const page = mine.page(p);
    page.identifiers.forEach((identifier, i) => {
      if (inSet[p * mine.pageSize + i] === 1) found.push({ identifier, row: page.firstRows[i] as number });
    });
  }
  return found.sort((a, b) => a.row - b.row).map((m) => m.identifier);
}

/**
 * Runs a private set intersection with an owner's dataset (or two owners', with `combineWith`) from
 * the operator's machine, in chunks, so sets of millions run in bounded memory (the sets are
 * compared on disk, a bucket at a time): your identifiers are normalised, hashed to the group and
 * raised to a secret exponent made here for this job; only those points leave. For the size, the
 * owner's node (two owners: the helper) counts and releases it, noisy and k-checked; for
 * membership, you compare here; for a sum, you find the matched entities here and the helper
 * releases the noisy sum. `onStep` and `onProgress` report a long run's progress; a failure or an
 * abort before the end cancels the job.
 */
export async function privateSetIntersection(
  client: SluiceClient,
  input: Omit<PsiStartRequest, "value"> & {
    ids: readonly string[];
    /** A sum: the owner's numeric field and the bounds each entity's total is clamped to. */
    value?: { field: string; min: number; max: number };
  },
  options: {
    pool?: PsiPool;
    onStep?: (step: string) => void;
    /** Items blinded so far of all there are to blind (yours and the owners'), as chunks finish. */
    onProgress?: (done: number, total: number) => void;
    /** Aborting cancels the job: its reservation comes back at once and the owners drop their sessions. */
    signal?: AbortSignal;
  } = {},
): Promise<PsiOutcome> {
  const { ids, ...start } = input;
  const output = start.output ?? "size";
  options.signal?.throwIfAborted();
  options.onStep?.("asking the owner's node to open its set");
  // A sum's shares come sealed to a key made here for this job: the gateway relays what it cannot read.
  const { value, ...request } = start;
  const shareKeys = value ? newEncryptionKeys() : undefined;
  const started = await client.startPsi({
    ...request,
    output,
    ...(value && shareKeys ? { value: { ...value, operatorKey: shareKeys.publicKey } } : {}),
  });
  if (!started.ownerSet) throw new Error(`job ${started.jobId} already ran; start a new one with another job id`);
  const { jobId, chunkSize } = started;
  const owners = [started.ownerSet, ...(started.secondOwnerSet ? [started.secondOwnerSet] : [])];
  const pool = options.pool ?? new PsiPool();
  const scratch = new ScratchDir();
  let settled = false;
  try {
    options.onStep?.(`normalising ${ids.length} identifiers`);
    const mine = new SpilledIdentifiers(scratch, "mine", (start.idKind ?? "uscc") as IdentifierKind, {
      pageSize: chunkSize,
    });
    for (let from = 0; from < ids.length; from += NORMALISE_SLICE) {
      mine.add(ids, undefined, from, Math.min(ids.length, from + NORMALISE_SLICE));
      await new Promise((resolve) => setImmediate(resolve));
      options.signal?.throwIfAborted();
    }
    await mine.finish();
    const key = newBlindingKey();
    const sum = output === "sum";
    const ownerSets = owners.map(
      (_, n) => new PointBuckets(scratch, `owner${n}`, POINT_BYTES + (sum ? POSITION + SHARE : 0)),
    );
    const answers = new PointBuckets(scratch, "answers", POINT_BYTES + (output === "membership" ? POSITION : 0));
    const total = mine.count + owners.reduce((a, o) => a + o.count, 0);
    let done = 0;
    const progress = (count: number) => {
      done += count;
      options.onProgress?.(done, total);
      options.signal?.throwIfAborted();
    };
    const myChunks = mine.pageCount;
    options.onStep?.(`blinding ${mine.count} identifiers and the owners' ${owners.map((o) => o.count).join(" + ")}`);
    const tasks: (() => Promise<void>)[] = [];
    owners.forEach((owner, n) => {
      for (let index = 0; index < owner.chunks; index++) {
        tasks.push(async () => {
          const page = await client.psiPage(jobId, n, index);
          const raised = await reblindAll(Buffer.from(page.points, "base64"), key, pool);
          const shares =
            page.operatorShares && shareKeys
              ? open(page.operatorShares, shareKeys, operatorSharesContext(jobId, index))
              : undefined;
          if (sum && shares?.length !== raised.length / 2) {
            throw new Error(`page ${index} of the owner's set came without its ${raised.length / 32} shares`);
          }
          (ownerSets[n] as PointBuckets).append(sum ? withPositions(raised, index * chunkSize, shares) : raised);
          progress(raised.length / POINT_BYTES);
        });
      }
    });
    for (let index = 0; index < myChunks; index++) {
      tasks.push(async () => {
        const points = await blindAll(mine.page(index).identifiers, key, pool);
        const receipt = await client.sendPsiPoints(jobId, { index, points: points.toString("base64") });
        if (receipt.answers) answers.append(withPositions(Buffer.from(receipt.answers, "base64"), index * chunkSize));
        progress(points.length / POINT_BYTES);
      });
    }
    await mapConcurrently(tasks, LANES, (task) => task());
    if (output === "size") {
      options.onStep?.("sending the owners' points back raised, sorted");
      await Promise.all(ownerSets.map((set, n) => sendSorted(client, jobId, n, set, chunkSize)));
    }
    options.signal?.throwIfAborted();
    const outcome = (finished: Awaited<ReturnType<typeof client.answerPsi>>): PsiOutcome => ({
      jobId: finished.jobId,
      usageRecordId: finished.usageRecordId,
      size: finished.result.size,
      suppressed: finished.result.suppressed,
      invalid: mine.invalid,
      duplicates: mine.duplicates,
      ownerCount: owners[0]?.count ?? 0,
      ...(owners[1] ? { secondOwnerCount: owners[1].count } : {}),
    });
    options.onStep?.("asking for the answer");
    if (!sum) settled = true;
    const answered = await client.answerPsi(jobId, { operatorChunks: myChunks, operatorCount: mine.count });
    if (output === "membership") {
      const result = outcome(answered);
      const inSet = new Uint8Array(mine.count);
      joinBuckets(ownerSets[0] as PointBuckets, answers, (records, offset, found) => {
        if (found) inSet[records.readUInt32LE(offset + POINT_BYTES)] = 1;
      });
      result.members = membersInInputOrder(mine, inSet);
      result.size = result.members.length;
      return result;
    }
    if (!sum) return outcome(answered);

    options.onStep?.("matching and releasing the sum");
    const pages = answered.answerChunks ?? 0;
    await mapConcurrently(
      Array.from({ length: pages }, (_, index) => index),
      LANES,
      async (index) => {
        answers.append(Buffer.from((await client.psiAnswerPage(jobId, index)).points, "base64"));
      },
    );
    const ownerCount = owners[0]?.count ?? 0;
    const matched = new Uint8Array(Math.ceil(ownerCount / 8));
    let partial = 0n;
    joinBuckets(answers, ownerSets[0] as PointBuckets, (records, offset, found) => {
      if (!found) return;
      const position = records.readUInt32LE(offset + POINT_BYTES);
      setBit(matched, position);
      partial += decodeVector(
        records.subarray(offset + POINT_BYTES + POSITION, offset + POINT_BYTES + POSITION + SHARE),
        1,
      )[0] as bigint;
    });
    settled = true;
    const finished = await client.releasePsiSum(jobId, {
      matched: Buffer.from(matched).toString("base64"),
      operatorPartial: (partial & ((1n << 128n) - 1n)).toString(),
    });
    return { ...outcome(finished), sum: finished.result.sum ?? null };
  } catch (error) {
    // Failed or interrupted before the gateway settled it: give the job up now rather than at the window's end.
    if (!settled) await client.cancelPsi(jobId).catch(() => undefined);
    throw error;
  } finally {
    scratch.remove();
    if (!options.pool) await pool.close();
  }
}

/** Sends an owner's points raised by you in sorted order (bucket by bucket, each sorted), chunk by chunk. */
async function sendSorted(client: SluiceClient, jobId: string, owner: number, set: PointBuckets, chunkSize: number) {
  let pending: Buffer[] = [];
  let pendingCount = 0;
  let index = 0;
  const flush = async () => {
    if (pendingCount === 0) return;
    await client.sendPsiRaisedPoints(jobId, owner, {
      index: index++,
      points: Buffer.concat(pending).toString("base64"),
    });
    pending = [];
    pendingCount = 0;
  };
  for (let b = 0; b < BUCKETS; b++) {
    const sorted = set.sortedBucket(b);
    for (let offset = 0; offset < sorted.length; ) {
      const take = Math.min(chunkSize - pendingCount, (sorted.length - offset) / POINT_BYTES);
      pending.push(sorted.subarray(offset, offset + take * POINT_BYTES));
      pendingCount += take;
      offset += take * POINT_BYTES;
      if (pendingCount === chunkSize) await flush();
    }
  }
  await flush();
}
