import type { KeyedFactors, KeyedFactorsInput } from "../join/keyed-factors.js";
import type { AggregateQuery } from "../query/schema.js";

export type ColumnType = "string" | "integer" | "decimal";

/**
 * What a NULL in a column means, as its owner declares it: `refuse` (the default) fails a job that
 * meets one, naming the column; `skip` leaves the row out of any job reading the column; `count`
 * keeps the row as SQL does: it counts, adds nothing to a sum, fails every filter on the column and
 * falls in no group or bin.
 */
export type NullPolicy = "refuse" | "skip" | "count";

export interface ColumnSpec {
  name: string;
  type: ColumnType;
  /** The field's classification level, as the owner registered it; needed to apply auto-approval rules. */
  level?: number;
  nulls?: NullPolicy;
}

/**
 * Fixed point: a decimal column is kept as an integer number of hundredths (10^DECIMAL_PLACES),
 * rounded half away from zero; integers are kept as they are. Every value a job reads must lie
 * within ±MAX_ABS_VALUE, so that running sums stay exact in double precision (see evaluate.ts).
 */
export const DECIMAL_PLACES = 2;
export const MAX_ABS_VALUE = 2 ** 48;

export function scaleOf(type: ColumnType): number {
  return type === "decimal" ? 10 ** DECIMAL_PLACES : 1;
}

/** Entities looked up by id: which of the ids asked are held, and the held ones' fields in the node's fixed point. */
export interface HeldEntities {
  /** 1 where the id asked at that position is held. */
  held: Uint8Array;
  /** Per field asked, one value per held id, in the order the ids were asked. */
  fields: Float64Array[];
}

/** A slice of a key column as the source gives it, with a numeric column alongside when asked for. */
export interface IdentifierBatch {
  ids: string[];
  values?: Float64Array;
}

/**
 * The data a compute node works on, where its owner keeps it (`../sources/`), or in memory for
 * tests and as the reference the pushdown is checked against. Rows never leave the node: only what
 * these methods compute does, and only as the protocols allow.
 */
export interface NodeDataStore {
  datasetIds(): string[];
  /** The registered schema; `rowCount` where the store holds the rows itself (a live source counts per job). */
  describe(datasetId: string): { id: string; columns: ColumnSpec[]; rowCount?: number } | undefined;
  /** An owner's part of a joined aggregate: each distinct key's own cells (`join/keyed-factors.ts`). */
  joinFactors(datasetId: string, input: KeyedFactorsInput): Promise<KeyedFactors>;
  /** The query's cells over this dataset, the measured field's values summed as the query asks. */
  aggregate(datasetId: string, measuredField: string, query: AggregateQuery): Promise<bigint[]>;
  /** The numeric fields of the entities with these ids in a text key column. */
  entities(
    datasetId: string,
    keyField: string,
    ids: readonly string[],
    fields: readonly string[],
  ): Promise<HeldEntities>;
  /** Every value of a text key column, a slice at a time, with a numeric column's values alongside. */
  identifiers(datasetId: string, keyField: string, valueField?: string): AsyncIterable<IdentifierBatch>;
  /** Releases connections and files. */
  close(): Promise<void>;
}
