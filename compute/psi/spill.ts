import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

// Bounded memory for sets of any size: fixed-width records whose first 32 bytes are a point are
// spread over BUCKETS files by the point's first byte (points are pseudo-random, so the buckets
// fill evenly), and two sets are compared one bucket at a time. A set of ten million points takes
// ~320 MB of disk and, to compare, memory for one bucket of each side (1/64 of it).

export const BUCKETS = 64;
const FLUSH_BYTES = 64 * 1024;
const POINT = 32;

const bucketOf = (records: Buffer, offset: number) => (records[offset] as number) & (BUCKETS - 1);
/** A point as a string key for lookups: latin1 maps each byte to one character. */
export const pointKey = (bytes: Buffer, offset: number) => bytes.toString("latin1", offset, offset + POINT);

const live = new Set<ScratchDir>();
let removeOnExit = false;

/**
 * A session's scratch directory, removed with everything in it when the session ends, and at the
 * latest when the process exits (a process killed outright leaves it to the system's temporary
 * directory cleaning).
 */
export class ScratchDir {
  readonly path = mkdtempSync(path.join(tmpdir(), "sluice-psi-scratch-"));
  private removed = false;

  constructor() {
    live.add(this);
    if (!removeOnExit) {
      removeOnExit = true;
      process.once("exit", () => {
        for (const dir of live) dir.remove();
      });
    }
  }

  remove(): void {
    if (this.removed) return;
    this.removed = true;
    live.delete(this);
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** A set of records on disk, bucketed by their point. Append in any order; read a bucket at a time. */
export class PointBuckets {
  private readonly files: string[];
  private readonly fds: (number | undefined)[] = new Array(BUCKETS);
  private readonly pending: Buffer[][] = Array.from({ length: BUCKETS }, () => []);
  private readonly pendingBytes = new Array<number>(BUCKETS).fill(0);
  private sealed = false;
  /** Records appended so far. */
  count = 0;

  constructor(
    scratch: ScratchDir,
    name: string,
    /** Bytes a record: the point first, then whatever travels with it. */
    readonly width: number,
  ) {
    if (width < POINT) throw new RangeError("a record starts with its 32-byte point");
    this.files = Array.from({ length: BUCKETS }, (_, b) => path.join(scratch.path, `${name}.${b}`));
  }

  append(records: Buffer): void {
    if (this.sealed) throw new Error("the set is sealed");
    if (records.length % this.width !== 0) throw new RangeError(`records are ${this.width} bytes each`);
    for (let offset = 0; offset < records.length; offset += this.width) {
      const b = bucketOf(records, offset);
      (this.pending[b] as Buffer[]).push(records.subarray(offset, offset + this.width));
      this.pendingBytes[b] = (this.pendingBytes[b] as number) + this.width;
      if ((this.pendingBytes[b] as number) >= FLUSH_BYTES) this.flush(b);
    }
    this.count += records.length / this.width;
  }

  private flush(b: number): void {
    const parts = this.pending[b] as Buffer[];
    if (parts.length === 0) return;
    this.fds[b] ??= openSync(this.files[b] as string, "a");
    writeSync(this.fds[b] as number, Buffer.concat(parts));
    this.pending[b] = [];
    this.pendingBytes[b] = 0;
  }

  /** Writes what is buffered and closes the files: no more appends. */
  seal(): void {
    if (this.sealed) return;
    for (let b = 0; b < BUCKETS; b++) {
      this.flush(b);
      const fd = this.fds[b];
      if (fd !== undefined) closeSync(fd);
      this.fds[b] = undefined;
    }
    this.sealed = true;
  }

  /** One bucket's records, in the order appended. */
  bucket(b: number): Buffer {
    this.seal();
    try {
      return readFileSync(this.files[b] as string);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return Buffer.alloc(0);
      throw error;
    }
  }

  /** One bucket's records sorted by their point: an order that depends on the points alone. */
  sortedBucket(b: number): Buffer {
    const records = this.bucket(b);
    const count = records.length / this.width;
    const order = Array.from({ length: count }, (_, i) => i);
    const at = (i: number) => i * this.width;
    order.sort((i, j) => records.compare(records, at(j), at(j) + POINT, at(i), at(i) + POINT));
    const sorted = Buffer.alloc(records.length);
    order.forEach((i, k) => {
      records.copy(sorted, k * this.width, i * this.width, (i + 1) * this.width);
    });
    return sorted;
  }
}

/**
 * For each bucket, the points of `set` as a lookup, and each record of `probe` that falls in it:
 * `onProbe(records, offset, found)` hears every probe record with whether its point is in `set`,
 * and `onBucket` that a bucket is done (equal points share a bucket).
 */
export function joinBuckets(
  set: PointBuckets,
  probe: PointBuckets,
  onProbe: (records: Buffer, offset: number, found: boolean) => void,
  onBucket?: () => void,
): void {
  for (let b = 0; b < BUCKETS; b++) {
    const members = set.bucket(b);
    const lookup = new Set<string>();
    for (let offset = 0; offset < members.length; offset += set.width) lookup.add(pointKey(members, offset));
    const probes = probe.bucket(b);
    for (let offset = 0; offset < probes.length; offset += probe.width) {
      onProbe(probes, offset, lookup.has(pointKey(probes, offset)));
    }
    onBucket?.();
  }
}
