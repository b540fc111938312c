import { existsSync, readdirSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { makeUscc } from "../../lib/uscc.js";
import { scratchDirs } from "../../test/support/scratch-dirs.js";
import { MAX_IDENTIFIER_BYTES, SpilledIdentifiers } from "./distinct-spill.js";
import { type IdentifierKind, normaliseIdentifier, normaliseIdentifiers, totalsByIdentifier } from "./identifiers.js";
import { ScratchDir } from "./spill.js";

const { scratch, removeLast } = scratchDirs();

async function spill(
  values: string[],
  kind: IdentifierKind,
  options: {
    pageSize: number;
    totals?: { min: number; max: number };
    amounts?: number[];
    slice?: number;
    keepInvalid?: number;
  },
) {
  const set = new SpilledIdentifiers(scratch(), "t", kind, options);
  const slice = options.slice ?? values.length;
  for (let from = 0; from < values.length; from += slice)
    set.add(values, options.amounts, from, Math.min(values.length, from + slice));
  await set.finish();
  return set;
}

function readAll(set: SpilledIdentifiers) {
  const identifiers: string[] = [];
  const firstRows: number[] = [];
  const totals: bigint[] = [];
  for (let p = 0; p < set.pageCount; p++) {
    const page = set.page(p);
    identifiers.push(...page.identifiers);
    firstRows.push(...page.firstRows);
    totals.push(...(page.totals ?? []));
  }
  return { identifiers, firstRows, totals };
}

const codes = Array.from({ length: 40 }, (_, i) => makeUscc("91", "330100", `MA${String(i).padStart(7, "0")}`));
/** A code as an export may spell it: lower case, padded, or broken. */
const spelling = fc.oneof(
  fc.constantFrom(...codes),
  fc.constantFrom(...codes).map((c) => ` ${c.toLowerCase()}`),
  fc.constantFrom("", "BAD", `${codes[0]?.slice(0, 17)}Z`),
);

describe("identifiers counted once on disk", () => {
  it("hold exactly the entities, totals, repeats and refusals the in-memory normaliser finds, however sliced", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(spelling, fc.integer({ min: -1_000, max: 1_000 })), { maxLength: 300 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 120 }),
        async (rows, pageSize, slice) => {
          const values = rows.map(([v]) => v);
          const amounts = rows.map(([, a]) => a);
          const bounds = { min: -500, max: 800 };
          const set = await spill(values, "uscc", { pageSize, totals: bounds, amounts, slice });
          const expected = totalsByIdentifier(values, amounts, "uscc", bounds);
          const got = readAll(set);
          expect(set.count).toBe(expected.identifiers.length);
          expect(set.duplicates).toBe(expected.duplicates);
          expect(set.invalidCount).toBe(expected.invalid.length);
          expect(set.invalid).toEqual(expected.invalid);
          const byId = new Map(got.identifiers.map((id, i) => [id, i]));
          expect(byId.size).toBe(set.count);
          expected.identifiers.forEach((id, i) => {
            const at = byId.get(id) as number;
            expect(got.totals[at]).toBe(expected.totals[i]);
            expect(got.firstRows[at]).toBe(values.findIndex((v) => normaliseIdentifier(v, "uscc") === id));
          });
          expect(set.pageCount).toBe(Math.ceil(set.count / pageSize));
        },
      ),
      { numRuns: 40 },
    );
  });

  it("fill every page but the last, and refuse a page that is not there", async () => {
    const values = Array.from({ length: 1_000 }, (_, i) => `E${i % 250}`);
    const set = await spill(values, "text", { pageSize: 64 });
    expect(set.count).toBe(250);
    expect(set.duplicates).toBe(750);
    expect(set.pageCount).toBe(4);
    expect([0, 1, 2, 3].map((p) => set.page(p).identifiers.length)).toEqual([64, 64, 64, 58]);
    expect(set.page(0).totals).toBeUndefined();
    expect(() => set.page(4)).toThrow(/page 4 is not among the 4 pages/);
    expect(() => set.page(-1)).toThrow(RangeError);
  });

  it("hold nothing for an empty set, or one of refusals only", async () => {
    const empty = await spill([], "text", { pageSize: 16 });
    expect([empty.count, empty.pageCount]).toEqual([0, 0]);
    const refused = await spill(["", "  "], "text", { pageSize: 16 });
    expect([refused.count, refused.invalidCount, refused.pageCount]).toEqual([0, 2, 0]);
  });

  it("refuse an identifier too long for a record, and keep only as many refusals as asked", async () => {
    const long = "x".repeat(MAX_IDENTIFIER_BYTES + 1);
    const set = await spill([long, "ok", "", " "], "text", { pageSize: 4, keepInvalid: 1 });
    expect(set.count).toBe(1);
    expect(set.invalidCount).toBe(3);
    expect(set.invalid).toEqual([{ index: 0, value: long, reason: `longer than ${MAX_IDENTIFIER_BYTES} bytes` }]);
  });

  it("keep text identifiers in any script exactly", async () => {
    const values = ["杭州市某某科技有限公司", "Müller GmbH", "杭州市某某科技有限公司 ", "😀"];
    const set = await spill(values, "text", { pageSize: 2 });
    expect(readAll(set).identifiers.sort()).toEqual(normaliseIdentifiers(values, "text").identifiers.sort());
  });

  it("come out in an order unrelated to the rows': each entity lands first about equally often", async () => {
    const first = new Map<string, number>();
    for (let run = 0; run < 1_200; run++) {
      const set = new SpilledIdentifiers(scratch(), "t", "text", { pageSize: 8 });
      set.add(["A", "B", "C"]);
      await set.finish();
      const head = set.page(0).identifiers[0] as string;
      first.set(head, (first.get(head) ?? 0) + 1);
      removeLast();
    }
    // 400 expected each; 6 standard deviations (√(1200·⅓·⅔) ≈ 16) bound a fair order.
    for (const id of ["A", "B", "C"]) expect(Math.abs((first.get(id) ?? 0) - 400)).toBeLessThan(100);
    const sorted = Array.from({ length: 5_000 }, (_, i) => `E${String(i).padStart(5, "0")}`);
    const order = readAll(await spill(sorted, "text", { pageSize: 1_000 })).identifiers;
    expect(order).not.toEqual(sorted);
    expect([...order].sort()).toEqual(sorted);
  });

  it("leave nothing behind once their scratch directory is removed", async () => {
    const dir = new ScratchDir();
    const set = new SpilledIdentifiers(dir, "t", "text", { pageSize: 8 });
    set.add(Array.from({ length: 10_000 }, (_, i) => `E${i}`));
    await set.finish();
    expect(readdirSync(dir.path).length).toBeGreaterThan(1);
    dir.remove();
    expect(existsSync(dir.path)).toBe(false);
  });

  it("refuse rows after the set is finished, and a sum's rows without amounts", async () => {
    const set = await spill(["A"], "text", { pageSize: 8 });
    expect(() => set.add(["B"])).toThrow(/finished/);
    const sum = new SpilledIdentifiers(scratch(), "t", "text", { pageSize: 8, totals: { min: 0, max: 1 } });
    expect(() => sum.add(["A"])).toThrow(/amounts/);
    expect(() => sum.page(0)).toThrow(/not finished/);
  });
});
