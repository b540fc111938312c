import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { scratchDirs } from "../../test/support/scratch-dirs.js";
import { BUCKETS, joinBuckets, PointBuckets, pointKey } from "./spill.js";

describe("point sets spilled to disk in buckets", () => {
  const { scratch } = scratchDirs();

  it("keeps every record, spreads them over the buckets, and sorts a bucket by its points", () => {
    const set = new PointBuckets(scratch(), "x", 36);
    const records = randomBytes(36 * 20_000);
    set.append(records.subarray(0, 36 * 7_000));
    set.append(records.subarray(36 * 7_000));
    expect(set.count).toBe(20_000);
    let total = 0;
    const seen = new Set<string>();
    for (let b = 0; b < BUCKETS; b++) {
      const bucket = set.sortedBucket(b);
      total += bucket.length / 36;
      for (let offset = 36; offset < bucket.length; offset += 36) {
        expect(bucket.compare(bucket, offset - 36, offset - 4, offset, offset + 32)).toBeGreaterThanOrEqual(0);
      }
      for (let offset = 0; offset < bucket.length; offset += 36) seen.add(bucket.toString("hex", offset, offset + 36));
    }
    expect(total).toBe(20_000);
    expect(seen.size).toBe(20_000);
    expect(seen.has(records.toString("hex", 36 * 123, 36 * 124))).toBe(true);
  });

  it("joins two sets bucket by bucket", () => {
    const dir = scratch();
    const shared = randomBytes(32 * 500);
    const set = new PointBuckets(dir, "set", 32);
    set.append(Buffer.concat([shared, randomBytes(32 * 300)]));
    const probe = new PointBuckets(dir, "probe", 32);
    probe.append(Buffer.concat([randomBytes(32 * 200), shared.subarray(0, 32 * 250)]));
    const found = new Set<string>();
    let probes = 0;
    joinBuckets(set, probe, (records, offset, hit) => {
      probes++;
      if (hit) found.add(pointKey(records, offset));
    });
    expect(probes).toBe(450);
    expect(found.size).toBe(250);
    expect(found.has(pointKey(shared, 0))).toBe(true);
  });

  it("refuses records of the wrong width and appends after sealing, and removes its files", () => {
    const dir = scratch();
    const set = new PointBuckets(dir, "x", 32);
    expect(() => set.append(Buffer.alloc(33))).toThrow(/32 bytes each/);
    expect(() => new PointBuckets(dir, "y", 16)).toThrow(/32-byte point/);
    set.append(randomBytes(32 * 10));
    set.seal();
    expect(() => set.append(randomBytes(32))).toThrow(/sealed/);
    expect(readdirSync(dir.path).length).toBeGreaterThan(0);
    dir.remove();
    expect(existsSync(dir.path)).toBe(false);
  });

  it("removes what is left when the process exits", () => {
    const script = `
      import { ScratchDir } from "./compute/psi/spill.ts";
      const dir = new ScratchDir();
      console.log(dir.path);
      process.exit(0);
    `;
    const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      encoding: "utf8",
    });
    const left = out.trim();
    expect(left).toMatch(/sluice-psi-scratch-/);
    expect(existsSync(left)).toBe(false);
  });
});
