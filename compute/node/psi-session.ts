import { randomBytes } from "node:crypto";
import { closeSync, openSync, readSync, writeSync } from "node:fs";
import path from "node:path";
import { SluiceError } from "../../lib/errors.js";
import { newBlindingKey, POINT_BYTES } from "../psi/blind.js";
import { type IdentifierPage, SpilledIdentifiers } from "../psi/distinct-spill.js";
import { setBit } from "../psi/helper-protocol.js";
import type { IdentifierKind } from "../psi/identifiers.js";
import { PSI_CHUNK_ITEMS } from "../psi/limits.js";
import type { PsiPool } from "../psi/pool.js";
import { blindAll, reblindAll } from "../psi/pooled-blinding.js";
import type { PsiPlan } from "../psi/protocol.js";
import { BUCKETS, joinBuckets, PointBuckets, pointKey, ScratchDir } from "../psi/spill.js";
import { operatorShares } from "../psi/sum-shares.js";
import type { NodeDataStore } from "./datastore.js";

const POSITION_BYTES = 4;
/** Rows normalised between two turns of the event loop. */
const NORMALISE_SLICE = 100_000;

const notFound = (jobId: string) =>
  new SluiceError("not_found", `no PSI session ${jobId} here (never started, finished, or expired)`);

function decodePoints(text: string, what: string): Buffer {
  const points = Buffer.from(text, "base64");
  if (points.length % POINT_BYTES !== 0) {
    throw new SluiceError("psi_point_invalid", `${what} are ${points.length} bytes, not a multiple of ${POINT_BYTES}`);
  }
  if (points.length / POINT_BYTES > PSI_CHUNK_ITEMS) {
    throw new SluiceError("validation_failed", `${what} hold more than ${PSI_CHUNK_ITEMS} points`);
  }
  return points;
}

/**
 * One owner's PSI session, in chunks so that sets of millions run in bounded memory: the owner's
 * entities are counted once and shuffled on disk (`distinct-spill.ts`) and served a page at a time (hashed and raised to the session's
 * exponent b when asked for); the operator's chunks are raised to b and spilled to disk in buckets
 * (or, for membership, returned at once); the operator's sorted H(y)^ba are spilled too; the answer
 * compares the two a bucket at a time. Everything lives in the session's scratch directory and its
 * exponent, and goes when the session ends.
 */
export class OwnerPsiSession {
  private readonly key = newBlindingKey();
  private readonly seed: Buffer | undefined;
  private readonly x: PointBuckets;
  private readonly y: PointBuckets;
  private readonly operatorChunks = new Map<number, number>();
  private readonly raisedChunks = new Map<number, number>();
  private answers: { file: string; count: number; chunks: number; served: Set<number> } | undefined;
  private ended = false;
  readonly count: number;
  readonly invalid: number;

  private constructor(
    readonly plan: PsiPlan,
    readonly signature: string,
    private readonly scratch: ScratchDir,
    private readonly entities: SpilledIdentifiers,
    private readonly pool: () => PsiPool,
  ) {
    this.count = entities.count;
    this.invalid = entities.invalidCount;
    this.seed = plan.sum ? randomBytes(32) : undefined;
    this.x = new PointBuckets(this.scratch, "x", POINT_BYTES + (plan.combine ? POSITION_BYTES : 0));
    this.y = new PointBuckets(this.scratch, "y", POINT_BYTES);
  }

  /**
   * Opens a session over the owner's id column (and, for a sum, its value column totalled per
   * entity), streamed from the source and normalised a slice at a time so the node goes on
   * answering meanwhile; its memory does not grow with the dataset.
   */
  static async open(
    plan: PsiPlan,
    signature: string,
    datasetId: string,
    store: NodeDataStore,
    pool: () => PsiPool,
  ): Promise<OwnerPsiSession> {
    const scratch = new ScratchDir();
    try {
      const entities = new SpilledIdentifiers(scratch, "owner", plan.idKind as IdentifierKind, {
        pageSize: PSI_CHUNK_ITEMS,
        keepInvalid: 0, // the session reports how many, not which
        ...(plan.sum ? { totals: plan.sum } : {}),
      });
      for await (const batch of store.identifiers(datasetId, plan.idField, plan.sum?.valueField)) {
        for (let from = 0; from < batch.ids.length; from += NORMALISE_SLICE) {
          entities.add(batch.ids, batch.values, from, Math.min(batch.ids.length, from + NORMALISE_SLICE));
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      await entities.finish();
      return new OwnerPsiSession(plan, signature, scratch, entities, pool);
    } catch (error) {
      scratch.remove();
      throw error;
    }
  }

  /** The seed of the helper's shares (a sum only). */
  helperSeed(): Buffer | undefined {
    return this.seed;
  }

  private alive(): void {
    if (this.ended) throw notFound(this.plan.jobId);
  }

  /** Page `index` of the owner's set: H(y)^b for its entities, and for a sum the operator's shares of their totals. */
  async page(index: number): Promise<{ points: Buffer; operatorShares?: Buffer }> {
    const from = index * PSI_CHUNK_ITEMS;
    if (from >= this.count && !(index === 0 && this.count === 0)) {
      throw new SluiceError("validation_failed", `page ${index} is past the owner's ${this.count} entities`);
    }
    const entities: IdentifierPage =
      this.count === 0 ? { identifiers: [], firstRows: new Uint32Array() } : this.entities.page(index);
    const points = await blindAll(entities.identifiers, this.key, this.pool());
    this.alive();
    if (!entities.totals || !this.seed) return { points };
    return { points, operatorShares: operatorShares(this.seed, from, entities.totals) };
  }

  private receive(chunks: Map<number, number>, index: number, count: number, what: string): void {
    if (chunks.has(index)) throw new SluiceError("psi_chunk_repeated", `${what} chunk ${index} was already received`);
    chunks.set(index, count);
  }

  /** A chunk of the operator's points H(x)^a, raised to b: returned for membership, kept otherwise. */
  async operatorPoints(index: number, text: string): Promise<{ count: number; answers?: Buffer }> {
    const points = decodePoints(text, "the operator's points");
    const count = points.length / POINT_BYTES;
    this.receive(this.operatorChunks, index, count, "the operator's");
    const raised = await reblindAll(points, this.key, this.pool(), undefined, undefined, index * PSI_CHUNK_ITEMS);
    this.alive();
    if (this.plan.output === "membership") return { count, answers: raised };
    if (!this.plan.combine) {
      this.x.append(raised);
      return { count };
    }
    const width = POINT_BYTES + POSITION_BYTES;
    const records = Buffer.alloc(count * width);
    for (let i = 0; i < count; i++) {
      raised.copy(records, i * width, i * POINT_BYTES, (i + 1) * POINT_BYTES);
      records.writeUInt32LE(index * PSI_CHUNK_ITEMS + i, i * width + POINT_BYTES);
    }
    this.x.append(records);
    return { count };
  }

  /** A chunk of the owner's points raised by the operator and sorted (H(y)^ba), for the size. */
  raisedPoints(index: number, text: string): { count: number } {
    this.alive();
    if (this.plan.output !== "size") throw new SluiceError("conflict", "only a size takes the owner's points back");
    const points = decodePoints(text, "the owner's points raised");
    const count = points.length / POINT_BYTES;
    if (this.y.count + count > this.count) {
      throw new SluiceError("validation_failed", `more raised points than the owner's ${this.count} entities`);
    }
    this.receive(this.raisedChunks, index, count, "the raised");
    this.y.append(points);
    return { count };
  }

  /** Checks that every chunk arrived: `chunks` indices from 0, all full but the last, `count` points in all. */
  uploadsComplete(chunks: number, count: number): void {
    const received = this.operatorChunks;
    const complete =
      received.size === chunks &&
      [...received].every(([index, n]) => index < chunks && (index === chunks - 1 || n === PSI_CHUNK_ITEMS)) &&
      [...received.values()].reduce((a, b) => a + b, 0) === count;
    if (!complete) {
      throw new SluiceError(
        "psi_upload_incomplete",
        `the operator's upload is incomplete: ${received.size} chunks received of ${chunks}, or not ${count} points`,
      );
    }
    if (this.plan.output === "size" && this.y.count !== this.count) {
      throw new SluiceError(
        "psi_upload_incomplete",
        `${this.y.count} of the owner's ${this.count} points came back raised; the size needs them all`,
      );
    }
  }

  /** The size: how many distinct operator points are among the owner's (each owner entity is distinct). */
  intersectionSize(): number {
    let found = 0;
    joinBuckets(this.x, this.y, (_records, _offset, hit) => {
      if (hit) found++;
    });
    return found;
  }

  /** Two owners: one bit per operator point, set at the first position of each distinct point in the owner's set. */
  membershipBits(operatorCount: number): Uint8Array {
    const bits = new Uint8Array(Math.ceil(operatorCount / 8));
    let bucket = new Map<string, number>();
    joinBuckets(
      this.y,
      this.x,
      (records, offset, found) => {
        if (!found) return;
        const key = pointKey(records, offset);
        const position = records.readUInt32LE(offset + POINT_BYTES);
        if (position < (bucket.get(key) ?? Number.POSITIVE_INFINITY)) bucket.set(key, position);
      },
      () => {
        for (const position of bucket.values()) setBit(bits, position);
        bucket = new Map();
      },
    );
    return bits;
  }

  /** A sum: the operator's points raised (H(x)^ab), sorted, written for paging; how many pages. */
  writeAnswers(): number {
    const file = path.join(this.scratch.path, "answers");
    const fd = openSync(file, "w");
    try {
      for (let b = 0; b < BUCKETS; b++) writeSync(fd, this.x.sortedBucket(b));
    } finally {
      closeSync(fd);
    }
    const chunks = Math.ceil(this.x.count / PSI_CHUNK_ITEMS);
    this.answers = { file, count: this.x.count, chunks, served: new Set() };
    return chunks;
  }

  /** Page `index` of a sum's answers; `last` once every page has been served. */
  answerPage(index: number): { points: Buffer; last: boolean } {
    this.alive();
    const answers = this.answers;
    if (!answers) throw new SluiceError("conflict", "the answers are not written yet");
    if (index >= answers.chunks)
      throw new SluiceError("validation_failed", `page ${index} is past the ${answers.chunks} pages`);
    const from = index * PSI_CHUNK_ITEMS;
    const points = Buffer.alloc(Math.min(PSI_CHUNK_ITEMS, answers.count - from) * POINT_BYTES);
    const fd = openSync(answers.file, "r");
    try {
      readSync(fd, points, 0, points.length, from * POINT_BYTES);
    } finally {
      closeSync(fd);
    }
    answers.served.add(index);
    return { points, last: answers.served.size === answers.chunks };
  }

  /** Drops the exponent's use and every file. */
  end(): void {
    this.ended = true;
    this.scratch.remove();
  }
}
