import { randomBytes } from "node:crypto";
import { Interface } from "ethers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { anchorBatchSelector, decodeAnchorBatchCall, encodeAnchorBatchCall } from "./anchor-call.js";
import { loadArtifact } from "./artifacts.js";

const abi = new Interface(loadArtifact("UsageLedger").abi);
const hex32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `0x${Buffer.from(b).toString("hex")}`);
const call = fc.record({
  batchId: hex32,
  root: hex32,
  leaves: fc.array(hex32, { minLength: 0, maxLength: 40 }),
  feeTotalFen: fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
  periodStart: fc.integer({ min: 0, max: 2 ** 40 }),
  periodEnd: fc.integer({ min: 0, max: 2 ** 40 }),
});

describe("anchorBatch calldata, written and read without ethers' coder", () => {
  it("writes exactly what ethers' ABI coder writes, and reads it back", () => {
    fc.assert(
      fc.property(call, (c) => {
        const ours = encodeAnchorBatchCall(c);
        const theirs = abi.encodeFunctionData("anchorBatch", [
          c.batchId,
          c.root,
          c.leaves,
          c.feeTotalFen,
          c.periodStart,
          c.periodEnd,
        ]);
        expect(`0x${ours.toString("hex")}`).toBe(theirs);
        expect(decodeAnchorBatchCall(ours)).toEqual({ ...c, leaves: c.leaves.map((l) => l.slice(2)) });
      }),
    );
  });

  it("refuses leaves that are not 32 bytes and values out of their type's range", () => {
    const base = {
      batchId: `0x${"11".repeat(32)}`,
      root: `0x${"22".repeat(32)}`,
      feeTotalFen: 0n,
      periodStart: 0,
      periodEnd: 0,
    };
    expect(() => encodeAnchorBatchCall({ ...base, leaves: ["ab"] })).toThrow(/not 32 bytes/);
    expect(() => encodeAnchorBatchCall({ ...base, leaves: [], feeTotalFen: 1n << 128n })).toThrow(/out of range/);
    expect(() => encodeAnchorBatchCall({ ...base, leaves: [], periodEnd: -1 })).toThrow(/out of range/);
  });

  it("reads nothing from calldata that is not a well-formed anchorBatch call", () => {
    const good = encodeAnchorBatchCall({
      batchId: `0x${"11".repeat(32)}`,
      root: `0x${"22".repeat(32)}`,
      leaves: [`0x${randomBytes(32).toString("hex")}`, `0x${randomBytes(32).toString("hex")}`],
      feeTotalFen: 5n,
      periodStart: 1,
      periodEnd: 2,
    });
    const changed = (at: number, byte: number) => {
      const copy = Buffer.from(good);
      copy[at] = byte;
      return copy;
    };
    expect(decodeAnchorBatchCall(good)?.leaves).toHaveLength(2);
    expect(decodeAnchorBatchCall(changed(0, (good[0] as number) ^ 1))).toBeNull(); // another function
    expect(decodeAnchorBatchCall(good.subarray(0, good.length - 32))).toBeNull(); // a leaf missing
    expect(decodeAnchorBatchCall(good.subarray(0, good.length - 1))).toBeNull(); // not whole words
    expect(decodeAnchorBatchCall(changed(4 + 3 * 32 - 1, 0xa0))).toBeNull(); // the array elsewhere
    expect(decodeAnchorBatchCall(changed(4 + 7 * 32 - 1, 3))).toBeNull(); // a count that does not fit
    expect(decodeAnchorBatchCall(changed(4 + 3 * 32 + 15, 1))).toBeNull(); // a fee past uint128
    expect(decodeAnchorBatchCall(Buffer.alloc(3))).toBeNull();
    expect(anchorBatchSelector()).toHaveLength(4);
  });
});
