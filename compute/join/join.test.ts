import { describe, expect, it } from "vitest";
import { makeUscc } from "../../lib/uscc.js";
import { joinedNoiseScales, type NoiseScale } from "../dp/noise.js";
import type { ColumnSpec } from "../node/datastore.js";
import { datasetFromRows, type LocalDataset } from "../node/memory-store.js";
import type { AggregateQuery } from "../query/schema.js";
import { JoinComputeParty, type Opening } from "./compute-party.js";
import { maskHolder } from "./fold.js";
import { alignJoin, type ComputePartyMessage } from "./helper.js";
import { addJoinShares, type JoinRing, RING_64, RING_128 } from "./join-ring.js";
import { type KeyedFactorsInput, keyedFactors } from "./keyed-factors.js";
import { type OwnerJoinInput, ownerJoinInput } from "./owner-input.js";
import { newPseudonymKey, pseudonymsOf } from "./pseudonyms.js";

// A reproducible stream for the test data (never for secrets).
function random(seed: number) {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

interface Part {
  dataset: LocalDataset;
  spec: KeyedFactorsInput;
  rows: Record<string, string | number>[];
}

interface Transcript {
  helperInputs: OwnerJoinInput[];
  messages: ComputePartyMessage[];
  openings: Opening[];
}

/** Runs the whole protocol in one process, in the given ring: each owner, the helper, both compute parties. */
function runJoinIn(
  parts: Part[],
  operatorIds?: string[],
  noise: NoiseScale[] | null = null,
  ring: JoinRing = RING_128,
) {
  const key = newPseudonymKey();
  const owners = parts.map((part) => ownerJoinInput(ring, keyedFactors(part.dataset, { ...part.spec, ring }), key));
  const helperInputs = owners.map((o) => o.input);
  const messages = alignJoin({
    ring,
    owners: helperInputs,
    operatorPseudonyms: operatorIds ? pseudonymsOf(key, operatorIds) : undefined,
    noise,
  });
  const seedsFor = (party: 0 | 1) =>
    new Map(owners.flatMap((o, i) => (maskHolder(i) === party ? [[i, o.secret.maskSeed] as const] : [])));
  const parties = [
    new JoinComputeParty(ring, messages[0], seedsFor(0)),
    new JoinComputeParty(ring, messages[1], seedsFor(1)),
  ];
  const openings: Transcript["openings"] = [];
  for (let step = 0; step < (parties[0] as JoinComputeParty).multiplications; step++) {
    const [a, b] = parties.map((p) => p.open()) as [Transcript["openings"][0], Transcript["openings"][0]];
    openings.push(a, b);
    parties[0]?.receive(b);
    parties[1]?.receive(a);
  }
  const cells = addJoinShares(
    ring,
    (parties[0] as JoinComputeParty).result(noise),
    (parties[1] as JoinComputeParty).result(noise),
  );
  return { cells, rows: messages[0].rows, transcript: { helperInputs, messages, openings } as Transcript };
}

const DISTRICTS = ["330102", "330105", "330106"];

/** Three departments' tables over partly shared enterprises, with repeated and missing keys. */
function departments(seed: number, size: number, overlap: number, maxRows = 2) {
  const next = random(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T;
  const universe = Array.from({ length: size }, (_, i) => `E${String(i).padStart(6, "0")}`);
  const holds = () => universe.filter(() => next() < overlap);
  const rows = (keys: string[], make: () => Record<string, string | number>) =>
    keys.flatMap((uscc) => Array.from({ length: 1 + Math.floor(next() * maxRows) }, () => ({ uscc, ...make() })));
  const tax = rows(holds(), () => ({
    district: pick([...DISTRICTS, "330108"]),
    tax_paid_fen: Math.floor(next() * 2e6) - 1e5,
  }));
  const social = rows(holds(), () => ({ insured: Math.floor(next() * 120), sector: pick(["a", "b"]) }));
  const market = rows(holds(), () => ({ arrears: pick(["yes", "no", "no"]) }));
  return { universe, tax, social, market, operatorIds: universe.filter(() => next() < 0.5) };
}

const columns = {
  tax: [
    { name: "uscc", type: "string" },
    { name: "district", type: "string" },
    { name: "tax_paid_fen", type: "integer" },
  ],
  social: [
    { name: "uscc", type: "string" },
    { name: "insured", type: "integer" },
    { name: "sector", type: "string" },
  ],
  market: [
    { name: "uscc", type: "string" },
    { name: "arrears", type: "string" },
  ],
} satisfies Record<string, ColumnSpec[]>;

function part(
  name: keyof typeof columns,
  rows: Record<string, string | number>[],
  measuredField: string | null,
  query: Omit<AggregateQuery, "filters"> & { filters?: AggregateQuery["filters"] },
  maxRowsPerKey = 4,
): Part {
  return {
    rows,
    dataset: datasetFromRows(`ds_${name}`, columns[name], rows),
    spec: {
      keyField: "uscc",
      keyKind: "text",
      measuredField,
      query: { filters: [], ...query } as AggregateQuery,
      maxRowsPerKey,
      ring: RING_128,
    },
  };
}

/** The same query as a database would run it: an inner join of the rows (a cross product per key), then the aggregate. */
function plaintextJoin(
  tables: { rows: Record<string, string | number>[]; keep: (row: Record<string, string | number>) => boolean }[],
  cellOf: (joined: Record<string, string | number>[]) => number,
  measureOf: ((joined: Record<string, string | number>[]) => number) | null,
  cells: number,
  measures: number,
  operatorIds?: string[],
): bigint[] {
  const byKey = tables.map((t) => {
    const map = new Map<string, Record<string, string | number>[]>();
    for (const row of t.rows) map.set(String(row.uscc), [...(map.get(String(row.uscc)) ?? []), row]);
    return map;
  });
  const allowed = operatorIds ? new Set(operatorIds) : null;
  const out = new Array<bigint>(cells * measures).fill(0n);
  for (const [key, first] of byKey[0] as Map<string, Record<string, string | number>[]>) {
    if (allowed && !allowed.has(key)) continue;
    let combos: Record<string, string | number>[][] = first.map((r) => [r]);
    for (const map of byKey.slice(1)) {
      const rows = map.get(key) ?? [];
      combos = combos.flatMap((c) => rows.map((r) => [...c, r]));
    }
    for (const combo of combos) {
      if (!combo.every((row, i) => tables[i]?.keep(row))) continue;
      const cell = cellOf(combo);
      if (cell < 0) continue;
      const value = BigInt(measureOf ? measureOf(combo) : 0);
      out[cell * measures] = (out[cell * measures] as bigint) + 1n;
      if (measures > 1) out[cell * measures + 1] = (out[cell * measures + 1] as bigint) + value;
      if (measures > 2) out[cell * measures + 2] = (out[cell * measures + 2] as bigint) + value * value;
    }
  }
  return out;
}

describe.each([
  RING_128,
  RING_64,
])("joined aggregates across departments in Z/2^$bits: secret-shared join against a plaintext join", (ring) => {
  const runJoin = (parts: Part[], operatorIds?: string[]) => runJoinIn(parts, operatorIds, null, ring);
  it.each([
    [1, 60, 0.7],
    [2, 120, 0.5],
    [3, 40, 0.9],
    [4, 200, 0.3],
  ])("mean tax per district of enterprises with at least 50 insured (seed %i, %i enterprises, %f held)", (seed, size, overlap) => {
    const data = departments(seed, size, overlap);
    const taxPart = part("tax", data.tax, "tax_paid_fen", {
      aggregate: "variance",
      groupBy: { field: "district", values: DISTRICTS },
      bounds: { min: 0, max: 1_500_000 },
    });
    const socialPart = part("social", data.social, null, {
      aggregate: "count",
      filters: [{ field: "insured", op: ">=", value: 50 }],
    });
    const { cells } = runJoin([taxPart, socialPart]);
    const expected = plaintextJoin(
      [
        { rows: data.tax, keep: () => true },
        { rows: data.social, keep: (r) => Number(r.insured) >= 50 },
      ],
      ([t]) => DISTRICTS.indexOf(String(t?.district)),
      ([t]) => Math.min(1_500_000, Math.max(0, Number(t?.tax_paid_fen))),
      DISTRICTS.length,
      3,
    );
    expect(cells).toEqual(expected);
    expect(expected.some((v) => v > 0n)).toBe(true);
  });

  it("groups by one owner's column and measures another's, with a histogram over the measure", () => {
    const data = departments(7, 150, 0.6);
    const bins = [20, 50, 100];
    const taxPart = part("tax", data.tax, null, {
      aggregate: "count",
      groupBy: { field: "district", values: DISTRICTS },
      filters: [{ field: "tax_paid_fen", op: ">", value: 0 }],
    });
    const socialPart = part("social", data.social, "insured", { aggregate: "histogram", bins });
    const { cells } = runJoin([taxPart, socialPart]);
    const binOf = (v: number) => bins.filter((edge) => edge <= v).length;
    const expected = plaintextJoin(
      [
        { rows: data.tax, keep: (r) => Number(r.tax_paid_fen) > 0 },
        { rows: data.social, keep: () => true },
      ],
      ([t, s]) => {
        const group = DISTRICTS.indexOf(String(t?.district));
        return group < 0 ? -1 : group * (bins.length + 1) + binOf(Number(s?.insured));
      },
      null,
      DISTRICTS.length * (bins.length + 1),
      1,
    );
    expect(cells).toEqual(expected);
  });

  it("joins three owners, restricted to the operator's own list (a semi-join)", () => {
    const data = departments(11, 150, 0.7);
    const taxPart = part("tax", data.tax, null, {
      aggregate: "count",
      groupBy: { field: "district", values: DISTRICTS },
    });
    const socialPart = part("social", data.social, "insured", {
      aggregate: "sum",
      filters: [{ field: "sector", op: "=", value: "a" }],
    });
    const marketPart = part("market", data.market, null, {
      aggregate: "count",
      filters: [{ field: "arrears", op: "=", value: "no" }],
    });
    for (const operatorIds of [undefined, data.operatorIds]) {
      const { cells } = runJoin([taxPart, socialPart, marketPart], operatorIds);
      const expected = plaintextJoin(
        [
          { rows: data.tax, keep: () => true },
          { rows: data.social, keep: (r) => r.sector === "a" },
          { rows: data.market, keep: (r) => r.arrears === "no" },
        ],
        ([t]) => DISTRICTS.indexOf(String(t?.district)),
        ([, s]) => Number(s?.insured),
        DISTRICTS.length,
        2,
        operatorIds,
      );
      expect(cells).toEqual(expected);
    }
  });

  it("answers zeros for an empty intersection, and for an operator list that matches nobody", () => {
    const a = part("tax", [{ uscc: "E1", district: "330102", tax_paid_fen: 5 }], "tax_paid_fen", { aggregate: "sum" });
    const b = part("social", [{ uscc: "E2", insured: 9, sector: "a" }], null, { aggregate: "count" });
    expect(runJoin([a, b])).toMatchObject({ rows: 0, cells: [0n, 0n] });
    const c = part("social", [{ uscc: "E1", insured: 9, sector: "a" }], null, { aggregate: "count" });
    expect(runJoin([a, c]).cells).toEqual([1n, 5n]);
    expect(runJoin([a, c], ["E9"])).toMatchObject({ rows: 0, cells: [0n, 0n] });
  });

  it("joins unified social credit codes however each department spells them, and leaves invalid codes out, counted", () => {
    const code = makeUscc("91", "330100", "MA2CBLFY1");
    const other = makeUscc("91", "330100", "MA2CBLFY2");
    const tax = part(
      "tax",
      [
        { uscc: code.toLowerCase(), district: "330102", tax_paid_fen: 7 },
        { uscc: ` ${other} `, district: "330102", tax_paid_fen: 5 },
        { uscc: "not-a-code", district: "330102", tax_paid_fen: 1_000 },
      ],
      "tax_paid_fen",
      { aggregate: "sum" },
    );
    const social = part(
      "social",
      [
        { uscc: code, insured: 60, sector: "a" },
        { uscc: other, insured: 3, sector: "a" },
      ],
      null,
      {
        aggregate: "count",
      },
    );
    tax.spec.keyKind = "uscc";
    social.spec.keyKind = "uscc";
    expect(keyedFactors(tax.dataset, tax.spec)).toMatchObject({ keys: [code, other], invalidKeys: 1 });
    expect(runJoin([tax, social]).cells).toEqual([2n, 12n]);
  });

  it("refuses a key with more rows than the join allows, naming the count and not the key", () => {
    const rows = [1, 2, 3].map(() => ({ uscc: "E1", district: "330102", tax_paid_fen: 1 }));
    const a = part("tax", rows, null, { aggregate: "count" }, 2);
    expect(() => keyedFactors(a.dataset, a.spec)).toThrow(/a key with 3 rows; this join allows at most 2/);
    expect(() => keyedFactors(a.dataset, a.spec)).not.toThrow(/E1/);
  });
});

describe.each([RING_128, RING_64])("noise on joined aggregates in Z/2^$bits", (ring) => {
  const runJoin = (parts: Part[], operatorIds?: string[], noise: NoiseScale[] | null = null) =>
    runJoinIn(parts, operatorIds, noise, ring);
  it("adds the three parties' noise, scaled to a joined entity's effect, and none at ε = 0", () => {
    const data = departments(21, 150, 0.7);
    const query = { aggregate: "sum", filters: [], bounds: { min: 0, max: 1_000 } } as AggregateQuery;
    const taxPart = part("tax", data.tax, "tax_paid_fen", query, 2);
    const socialPart = part("social", data.social, null, { aggregate: "count" }, 2);
    const exact = runJoin([taxPart, socialPart]).cells;
    const scales = joinedNoiseScales(query, 1, [2, 2], 1_000_000);
    // ε split over count and sum; a key moves the count by 2·2 rows and the sum by 1,000 times that.
    expect(scales?.map((s) => Number(s.num) / Number(s.den))).toEqual([8, 8_000]);
    const noisy = Array.from({ length: 60 }, () => runJoin([taxPart, socialPart], undefined, scales).cells);
    const differences = noisy.map((cells) => cells.map((v, i) => Number(v - (exact[i] as bigint))));
    expect(differences.filter(([count]) => count !== 0).length).toBeGreaterThan(45);
    // Three independent samples of scale b: the standard deviation of their sum is √6·b.
    const spread = Math.sqrt(differences.reduce((sum, [, s]) => sum + (s as number) ** 2, 0) / noisy.length);
    expect(spread).toBeGreaterThan(0.5 * Math.sqrt(6) * 8_000);
    expect(spread).toBeLessThan(2 * Math.sqrt(6) * 8_000);
    expect(joinedNoiseScales(query, 1, [2, 2], 0)).toBeNull();
  });
});

describe.each([RING_128, RING_64])("what each party of a join sees, in Z/2^$bits", (ring) => {
  const data = departments(5, 300, 0.7, 1);
  const taxPart = part("tax", data.tax, "tax_paid_fen", {
    aggregate: "sum",
    groupBy: { field: "district", values: DISTRICTS },
  });
  const socialPart = part("social", data.social, null, {
    aggregate: "count",
    filters: [{ field: "insured", op: ">=", value: 50 }],
  });
  const { transcript, rows } = runJoinIn([taxPart, socialPart], undefined, null, ring);
  const bits = BigInt(ring.bits);
  const toBigInts = (values: Parameters<JoinRing["toBigInts"]>[0]) => ring.toBigInts(values);
  const elements = (values: readonly bigint[]) =>
    values.filter((v) => v > 1n << (bits / 2n)).length / Math.max(1, values.length);
  const topBit = (values: readonly bigint[]) =>
    values.filter((v) => v >= 1n << (bits - 1n)).length / Math.max(1, values.length);

  it("no message carries an identifier, in text or in bytes", () => {
    const serialised = JSON.stringify(transcript, (_k, v) =>
      typeof v === "bigint"
        ? v.toString(16)
        : ArrayBuffer.isView(v)
          ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("hex")
          : v,
    );
    for (const id of data.universe.slice(0, 50)) {
      expect(serialised).not.toContain(id);
      expect(serialised).not.toContain(Buffer.from(id).toString("hex"));
    }
  });

  it("the helper's cells are uniform ring elements: none is a plaintext value, half have the top bit set", () => {
    const masked = transcript.helperInputs.flatMap((input) => toBigInts(input.masked));
    expect(masked.length).toBeGreaterThan(500);
    expect(elements(masked)).toBeGreaterThan(0.99);
    expect(topBit(masked)).toBeGreaterThan(0.42);
    expect(topBit(masked)).toBeLessThan(0.58);
  });

  it("a compute party cannot recognise the masked cells its own owner sent, nor learn which of its keys joined", () => {
    const [toTaxNode] = transcript.messages as [ComputePartyMessage];
    const ownSource = toTaxNode.owners[0];
    expect(ownSource?.kind).toBe("shares");
    const sent = new Set(toBigInts(transcript.helperInputs[0]?.masked ?? ring.array(0)).map(String));
    const received = ownSource?.kind === "shares" ? toBigInts(ownSource.values) : [];
    expect(received).toHaveLength(rows * 3 * 2);
    expect(received.filter((v) => sent.has(String(v)))).toEqual([]);
    // It gets positions only for the other owner's list, whose order the other owner shuffled.
    expect(toTaxNode.owners[1]?.kind).toBe("unmask");
  });

  it("each compute party opens only what the helper did not deal it: P0 no d of the group-by owner's cells, P1 no e", () => {
    const [p0, p1] = transcript.openings as [Opening, Opening];
    expect([ring.length(p0.d), ring.length(p0.e)]).toEqual([0, rows]);
    expect([ring.length(p1.d), ring.length(p1.e)]).toEqual([rows * 3 * 2, 0]);
  });

  it("the openings exchanged between the compute parties are uniform", () => {
    const opened = transcript.openings.flatMap((o) => [...toBigInts(o.d), ...toBigInts(o.e)]);
    expect(elements(opened)).toBeGreaterThan(0.99);
    expect(topBit(opened)).toBeGreaterThan(0.42);
    expect(topBit(opened)).toBeLessThan(0.58);
  });
});
