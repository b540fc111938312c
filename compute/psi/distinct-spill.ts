import { randomBytes } from "node:crypto";
import { closeSync, openSync, readFileSync, readSync, writeSync } from "node:fs";
import path from "node:path";
import sodium from "sodium-native";
import { shuffle } from "../../lib/shuffle.js";
import { type IdentifierKind, normaliseIdentifier, refusalOf } from "./identifiers.js";
import type { ScratchDir } from "./spill.js";

// De-duplication on disk, so that a set of any size is normalised in bounded memory: each valid
// identifier goes, as a record, to one of BUCKETS files chosen by a keyed hash of it (SipHash-2-4
// under a key made for this set), so every row of one entity lands in the same bucket; then each
// bucket alone is read, its entities counted once (their amounts totalled), shuffled, and written
// out in pages. The buckets' order is the keyed hash's, unknown without the key, and each bucket is
// shuffled, so the pages' order is a uniformly random permutation that says nothing of the rows'.
// Memory: one bucket's entities (1/256 of the set) and the write buffers.

const BUCKETS = 256;
const FLUSH_BYTES = 64 * 1024;
const ROW = 4;
const LENGTH = 2;
const AMOUNT = 8;
/** The longest identifier in bytes (UTF-8) that a record holds. */
export const MAX_IDENTIFIER_BYTES = 1024;

export interface IdentifierInvalid {
  index: number;
  value: string;
  reason: string;
}

export interface IdentifierPage {
  identifiers: string[];
  /** Each entity's first row among all those added (0-based). */
  firstRows: Uint32Array;
  /** A sum's totals per entity, clamped to the bounds. */
  totals?: bigint[];
}

/** An append-only file written through one buffer. */
class BufferedFile {
  private buffer: Buffer | undefined;
  private used = 0;
  bytes = 0;

  constructor(readonly file: string) {}

  /** Room for `size` bytes at the returned offset of `buffer`, flushing first if need be. */
  reserve(size: number): { buffer: Buffer; at: number } {
    if (this.used + size > FLUSH_BYTES) this.flush();
    this.buffer ??= Buffer.allocUnsafe(FLUSH_BYTES);
    const at = this.used;
    this.used += size;
    this.bytes += size;
    return { buffer: this.buffer, at };
  }

  /** Writes what is buffered and lets the buffer go. */
  close(): void {
    this.flush();
    this.buffer = undefined;
  }

  flush(): void {
    if (this.used === 0 || !this.buffer) return;
    const fd = openSync(this.file, "a");
    try {
      writeSync(fd, this.buffer, 0, this.used);
    } finally {
      closeSync(fd);
    }
    this.used = 0;
  }
}

/**
 * An owner's or an operator's identifiers, normalised as `identifiers.ts` does, each entity once,
 * in a random order, read a page at a time. Add rows in slices with `add`, then `finish`.
 */
export class SpilledIdentifiers {
  private readonly key = randomBytes(sodium.crypto_shorthash_KEYBYTES);
  private readonly hash = Buffer.alloc(sodium.crypto_shorthash_BYTES);
  private readonly encoded = Buffer.alloc(MAX_IDENTIFIER_BYTES * 3);
  private readonly buckets: BufferedFile[];
  private readonly pages: BufferedFile;
  private readonly pageOffsets: number[] = [];
  private readonly recordFixed: number;
  private rows = 0;
  private finished = false;
  /** How many entities, once finished. */
  count = 0;
  /** How many rows repeated an entity already seen. */
  duplicates = 0;
  /** How many rows were refused before hashing. */
  invalidCount = 0;
  /** The refused rows, the first `keepInvalid` of them. */
  readonly invalid: IdentifierInvalid[] = [];

  constructor(
    scratch: ScratchDir,
    name: string,
    private readonly kind: IdentifierKind,
    private readonly options: {
      /** Entities a page. */
      pageSize: number;
      /** A sum: each row's amount is totalled per entity, then clamped to these bounds. */
      totals?: { min: number; max: number };
      /** How many refused rows to keep for the report (all of them by default). */
      keepInvalid?: number;
    },
  ) {
    if (!Number.isInteger(options.pageSize) || options.pageSize < 1)
      throw new RangeError("a page holds at least one entity");
    this.buckets = Array.from(
      { length: BUCKETS },
      (_, b) => new BufferedFile(path.join(scratch.path, `${name}.in${b}`)),
    );
    this.pages = new BufferedFile(path.join(scratch.path, `${name}.pages`));
    this.recordFixed = ROW + LENGTH + (options.totals ? AMOUNT : 0);
  }

  /** Adds rows `from` to `to` of a slice (and, for a sum, the amounts of the same rows). */
  add(values: readonly string[], amounts?: ArrayLike<number>, from = 0, to = values.length): void {
    if (this.finished) throw new Error("the set is finished");
    if (this.options.totals && !amounts) throw new Error("a sum's rows come with their amounts");
    if (this.rows + (to - from) > 0xffff_ffff) throw new RangeError("a set takes at most 2^32 − 1 rows");
    for (let i = from; i < to; i++, this.rows++) {
      const value = values[i] as string;
      const normalised = normaliseIdentifier(value, this.kind);
      const length = normalised === null ? 0 : this.encoded.write(normalised, 0);
      if (normalised === null || length > MAX_IDENTIFIER_BYTES) {
        this.invalidCount++;
        if (this.invalid.length < (this.options.keepInvalid ?? Number.POSITIVE_INFINITY)) {
          const reason = normalised === null ? refusalOf(this.kind) : `longer than ${MAX_IDENTIFIER_BYTES} bytes`;
          this.invalid.push({ index: this.rows, value, reason });
        }
        continue;
      }
      const bytes = this.encoded.subarray(0, length);
      sodium.crypto_shorthash(this.hash, bytes, this.key);
      const bucket = this.buckets[this.hash[0] as number] as BufferedFile;
      const { buffer, at } = bucket.reserve(this.recordFixed + length);
      buffer.writeUInt32LE(this.rows, at);
      buffer.writeUInt16LE(length, at + ROW);
      bytes.copy(buffer, at + ROW + LENGTH);
      if (amounts) buffer.writeDoubleLE(amounts[i] as number, at + ROW + LENGTH + length);
    }
  }

  /** Counts each entity once, bucket by bucket, and writes the pages; yields between buckets. */
  async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    for (const bucket of this.buckets) bucket.close();
    for (const bucket of this.buckets) {
      if (bucket.bytes === 0) continue;
      this.writeBucket(bucket.file);
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.pages.close();
  }

  private writeBucket(file: string): void {
    const records = readFileSync(file);
    const positions = new Map<string, number>();
    const identifiers: string[] = [];
    const firstRows: number[] = [];
    const totals: bigint[] = [];
    const summing = this.options.totals !== undefined;
    for (let at = 0; at < records.length; ) {
      const row = records.readUInt32LE(at);
      const length = records.readUInt16LE(at + ROW);
      const start = at + ROW + LENGTH;
      const identifier = records.toString("utf8", start, start + length);
      const amount = summing ? records.readDoubleLE(start + length) : 0;
      at = start + length + (summing ? AMOUNT : 0);
      const position = positions.get(identifier);
      if (position === undefined) {
        positions.set(identifier, identifiers.length);
        identifiers.push(identifier);
        firstRows.push(row);
        if (summing) totals.push(BigInt(amount));
      } else {
        this.duplicates++;
        if (summing) totals[position] = (totals[position] as bigint) + BigInt(amount);
      }
    }
    shuffle(identifiers.length, (i, j) => {
      [identifiers[i], identifiers[j]] = [identifiers[j] as string, identifiers[i] as string];
      [firstRows[i], firstRows[j]] = [firstRows[j] as number, firstRows[i] as number];
      if (summing) [totals[i], totals[j]] = [totals[j] as bigint, totals[i] as bigint];
    });
    const bounds = this.options.totals;
    const min = bounds ? BigInt(bounds.min) : 0n;
    const max = bounds ? BigInt(bounds.max) : 0n;
    identifiers.forEach((identifier, i) => {
      if (this.count % this.options.pageSize === 0) this.pageOffsets.push(this.pages.bytes);
      this.count++;
      const length = Buffer.byteLength(identifier);
      const { buffer, at } = this.pages.reserve(ROW + LENGTH + length + (summing ? AMOUNT : 0));
      buffer.writeUInt32LE(firstRows[i] as number, at);
      buffer.writeUInt16LE(length, at + ROW);
      buffer.write(identifier, at + ROW + LENGTH);
      if (!summing) return;
      const total = totals[i] as bigint;
      buffer.writeBigInt64LE(total < min ? min : total > max ? max : total, at + ROW + LENGTH + length);
    });
  }

  /** Entities a page. */
  get pageSize(): number {
    return this.options.pageSize;
  }

  /** How many pages the entities fill. */
  get pageCount(): number {
    return this.pageOffsets.length;
  }

  /** Page `index` (each holds `pageSize` entities, the last what remains). */
  page(index: number): IdentifierPage {
    if (!this.finished) throw new Error("the set is not finished");
    if (!Number.isInteger(index) || index < 0 || index >= this.pageOffsets.length) {
      throw new RangeError(`page ${index} is not among the ${this.pageOffsets.length} pages`);
    }
    const start = this.pageOffsets[index] as number;
    const end = this.pageOffsets[index + 1] ?? this.pages.bytes;
    const bytes = Buffer.alloc(end - start);
    const fd = openSync(this.pages.file, "r");
    try {
      readSync(fd, bytes, 0, bytes.length, start);
    } finally {
      closeSync(fd);
    }
    const size = Math.min(this.options.pageSize, this.count - index * this.options.pageSize);
    const identifiers = new Array<string>(size);
    const firstRows = new Uint32Array(size);
    const totals = this.options.totals ? new Array<bigint>(size) : undefined;
    for (let i = 0, at = 0; i < size; i++) {
      firstRows[i] = bytes.readUInt32LE(at);
      const length = bytes.readUInt16LE(at + ROW);
      identifiers[i] = bytes.toString("utf8", at + ROW + LENGTH, at + ROW + LENGTH + length);
      at += ROW + LENGTH + length;
      if (totals) {
        totals[i] = bytes.readBigInt64LE(at);
        at += AMOUNT;
      }
    }
    return totals ? { identifiers, firstRows, totals } : { identifiers, firstRows };
  }
}
