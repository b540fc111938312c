import { ComputeError } from "../errors.js";
import type { LocalDataset } from "../node/memory-store.js";
import { type IdentifierKind, IdentifierNormaliser } from "../psi/identifiers.js";
import { type ClassifiedRows, classifyRows, SlotSums } from "../query/evaluate.js";
import type { AggregateQuery } from "../query/schema.js";
import type { JoinRing, JoinRingArray } from "./join-ring.js";

/**
 * Each key's cells summed from its rows, flat (key, cell, measure), exactly: in Z/2^64 row by row
 * into the ring itself, as no sum can wrap there (`ring-bits.ts`); in Z/2^128 through `SlotSums`.
 */
function keyedCells(ring: JoinRing, keys: number, keyOfRow: Int32Array, classified: ClassifiedRows): JoinRingArray {
  const { cells, measures, cellOf, values } = classified;
  if (ring.bits === 64) return keyedCells64(keys, keyOfRow, classified);
  const sums = new SlotSums(keys * cells, measures);
  for (let row = 0; row < keyOfRow.length; row++) {
    const key = keyOfRow[row] as number;
    const cell = cellOf[row] as number;
    if (key >= 0 && cell >= 0) sums.add(key * cells + cell, values ? (values[row] as number) : 0);
  }
  const out = ring.array(keys * cells * measures.length);
  let i = 0;
  for (let slot = 0; slot < keys * cells; slot++) {
    for (const measure of measures) {
      const value = sums.get(slot, measure);
      // The array starts at zero, and most of a group-by's cells stay there.
      if (value === 0) i++;
      else if (typeof value === "number") ring.setNumber(out, i++, value);
      else ring.setBigInt(out, i++, value);
    }
  }
  return out;
}

function keyedCells64(keys: number, keyOfRow: Int32Array, classified: ClassifiedRows): BigUint64Array {
  const { cells, measures, cellOf, values } = classified;
  const width = measures.length;
  const out = new BigUint64Array(keys * cells * width);
  const sumAt = measures.indexOf("sum");
  const squareAt = measures.indexOf("sumOfSquares");
  for (let row = 0; row < keyOfRow.length; row++) {
    const key = keyOfRow[row] as number;
    const cell = cellOf[row] as number;
    if (key < 0 || cell < 0) continue;
    const at = (key * cells + cell) * width;
    out[at] = (out[at] as bigint) + 1n;
    if (sumAt < 0 || !values) continue;
    const value = BigInt(values[row] as number);
    out[at + sumAt] = (out[at + sumAt] as bigint) + value;
    if (squareAt >= 0) out[at + squareAt] = (out[at + squareAt] as bigint) + value * value;
  }
  return out;
}

/** One owner's part of a joined aggregate: for every distinct key it holds, its own cells. */
export interface KeyedFactors {
  /** The normalised keys, each once, in first-seen order. */
  keys: string[];
  /** The cells of each key, flat: key i's are elements [i·width, (i+1)·width). */
  cells: JoinRingArray;
  width: number;
  /** Rows whose key is not a valid identifier of its kind: left out of the join and counted. */
  invalidKeys: number;
}

export interface KeyedFactorsInput {
  keyField: string;
  keyKind: IdentifierKind;
  /** The measured field when this owner holds it, null when it contributes counts only. */
  measuredField: string | null;
  /** The part of the joined query over this owner's columns (its filters, its group-by, its bins). */
  query: AggregateQuery;
  /** The most rows one key may have here (contributions are bounded for the noise); more is refused. */
  maxRowsPerKey: number;
  /** The ring the join computes in (`ring-bits.ts`). */
  ring: JoinRing;
}

/**
 * Evaluates an owner's part of a joined query key by key: each distinct key's rows through the
 * owner's filters, group-by and bins, summed into its own cells. A key whose rows are all
 * filtered out keeps a row of zeros, so the join's other parties cannot tell filtered keys apart.
 */
export function keyedFactors(dataset: LocalDataset, input: KeyedFactorsInput): KeyedFactors {
  const keyColumn = dataset.columns.get(input.keyField);
  if (!keyColumn || keyColumn.spec.type !== "string")
    throw new ComputeError("field_unknown", `dataset ${dataset.id} has no text key field ${input.keyField}`);
  const { codes, dictionary } = keyColumn as Extract<typeof keyColumn, { codes: Int32Array }>;
  const classified = classifyRows(dataset, input.measuredField, input.query);
  // Each distinct value of the key column is normalised once (two spellings of one code meet here).
  const keyOfCode = new Int32Array(dictionary.length).fill(-1);
  const normaliser = new IdentifierNormaliser(input.keyKind, (position, code) => {
    keyOfCode[code] = position;
  });
  normaliser.add(dictionary);
  const { identifiers } = normaliser.result();
  const keyOfRow = Int32Array.from(codes, (code) => keyOfCode[code] as number);
  const invalidKeys = keyOfRow.reduce((n, key) => (key < 0 ? n + 1 : n), 0);

  const rowsPerKey = new Uint32Array(identifiers.length);
  for (const key of keyOfRow) if (key >= 0) rowsPerKey[key] = (rowsPerKey[key] as number) + 1;
  const most = rowsPerKey.reduce((a, b) => Math.max(a, b), 0);
  if (most > input.maxRowsPerKey)
    throw new ComputeError(
      "query_invalid",
      `dataset ${dataset.id} has a key with ${most} rows; this join allows at most ${input.maxRowsPerKey} per key`,
    );

  const cells = keyedCells(input.ring, identifiers.length, keyOfRow, classified);
  const width = classified.cells * classified.measures.length;
  return { keys: identifiers, cells, width, invalidKeys };
}
