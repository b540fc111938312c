import { ComputeError } from "../errors.js";
import type { KeyedFactors, KeyedFactorsInput } from "../join/keyed-factors.js";
import type { ColumnSpec, HeldEntities, IdentifierBatch, NodeDataStore } from "../node/datastore.js";
import { normaliseIdentifier } from "../psi/identifiers.js";
import { type AggregateQuery, cellCount, measuresOf } from "../query/schema.js";
import type { SourceColumn, SourceValue, SqlEngine } from "./engine.js";
import {
  aggregateStatement,
  checkNullsAndRange,
  decodeTotals,
  entitiesStatement,
  identifiersStatement,
  keyedStatement,
  type PushdownTarget,
  type Statement,
  type TotalsLayout,
} from "./pushdown.js";
import { checkColumns } from "./schema-check.js";

/** A dataset registered at a node and the database its rows stay in. */
export interface LiveDataset {
  id: string;
  columns: ColumnSpec[];
  engine: SqlEngine;
}

/** Reads an output row's totals (count, sums, largest) after its `layout.lead` columns, checking its NULL counters. */
function totalsReader(target: PushdownTarget, query: AggregateQuery, layout: TotalsLayout, field: string | null) {
  const measures = measuresOf(query.aggregate);
  const countersFrom = layout.lead + layout.totals;
  return (row: readonly SourceValue[]) => {
    const totals = decodeTotals(query, row, layout.lead, measures);
    checkNullsAndRange(target, layout.nullCounters, row, countersFrom, totals.largest, field);
    return totals;
  };
}

/** The cell of a (group value, bin) output row, or −1 for a group the query did not ask for. */
function cellIndex(
  query: AggregateQuery,
  groups: Map<string, number> | null,
  group: SourceValue,
  bin: SourceValue,
): number {
  const binsPerGroup = query.bins ? query.bins.length + 1 : 1;
  const position = groups ? groups.get(group === null ? "" : String(group)) : 0;
  return position === undefined ? -1 : position * binsPerGroup + Number(bin ?? 0);
}

/**
 * A node's datasets queried where they live (`postgres-engine.ts`, `duckdb-engine.ts`): each job's
 * local part runs as one statement in the owner's database, after its columns are checked against
 * the registered schema; nothing is imported, so rows added since count in the next job.
 */
export function createSqlDataStore(datasets: LiveDataset[]): NodeDataStore {
  const byId = new Map(datasets.map((d) => [d.id, d]));

  async function target(datasetId: string): Promise<PushdownTarget & { engine: SqlEngine }> {
    const dataset = byId.get(datasetId);
    if (!dataset) throw new ComputeError("dataset_unknown", `this node holds no dataset ${datasetId}`);
    const { engine } = dataset;
    const found = await readColumns(dataset);
    checkColumns(dataset.id, engine.where, dataset.columns, found);
    return {
      datasetId,
      dialect: engine.dialect,
      relation: engine.relation,
      columns: new Map(dataset.columns.map((c) => [c.name, c])),
      notNull: new Set([...found].filter(([, column]) => column.notNull).map(([name]) => name)),
      engine,
    };
  }

  async function readColumns(dataset: LiveDataset): Promise<Map<string, SourceColumn>> {
    try {
      return await dataset.engine.columns();
    } catch (error) {
      throw unreadable(dataset.id, dataset.engine, error);
    }
  }

  async function* rows(on: PushdownTarget & { engine: SqlEngine }, statement: Statement) {
    try {
      yield* on.engine.rows(statement);
    } catch (error) {
      if (error instanceof ComputeError) throw error;
      throw unreadable(on.datasetId, on.engine, error);
    }
  }

  async function aggregate(datasetId: string, measuredField: string, query: AggregateQuery): Promise<bigint[]> {
    const on = await target(datasetId);
    const statement = aggregateStatement(on, measuredField, query);
    const measures = measuresOf(query.aggregate);
    const vector = new Array<bigint>(cellCount(query) * measures.length).fill(0n);
    const groups = query.groupBy ? new Map(query.groupBy.values.map((v, i) => [v, i])) : null;
    const totalsOf = totalsReader(on, query, statement.layout, measuredField);
    for await (const batch of rows(on, statement)) {
      for (const row of batch) {
        const totals = totalsOf(row);
        const cell = cellIndex(query, groups, row[0] ?? null, row[1] ?? null);
        if (cell < 0) continue;
        for (let m = 0; m < measures.length; m++) {
          const at = cell * measures.length + m;
          vector[at] = (vector[at] as bigint) + totals[measures[m] as (typeof measures)[number]];
        }
      }
    }
    return vector;
  }

  async function joinFactors(datasetId: string, input: KeyedFactorsInput): Promise<KeyedFactors> {
    const on = await target(datasetId);
    const { query, ring } = input;
    const statement = keyedStatement(on, input.keyField, input.measuredField, query);
    const measures = measuresOf(query.aggregate);
    const width = cellCount(query) * measures.length;
    const groups = query.groupBy ? new Map(query.groupBy.values.map((v, i) => [v, i])) : null;
    const totalsOf = totalsReader(on, query, statement.layout, input.measuredField);
    // Keys are normalised as they arrive; two spellings of one code add into the same key's cells.
    const positions = new Map<string, number>();
    const identifiers: string[] = [];
    let capacity = 1_024;
    let cells = ring.array(capacity * width);
    let rowsPerKey = new Float64Array(capacity);
    let invalidKeys = 0;
    for await (const batch of rows(on, statement)) {
      for (const row of batch) {
        const totals = totalsOf(row);
        const raw = row[0];
        const rowCount = Number(row[4]);
        const normalised = typeof raw === "string" ? normaliseIdentifier(raw, input.keyKind) : null;
        if (normalised === null) {
          invalidKeys += rowCount;
          continue;
        }
        let key = positions.get(normalised);
        if (key === undefined) {
          key = identifiers.length;
          positions.set(normalised, key);
          identifiers.push(normalised);
        }
        if (key >= capacity) {
          while (key >= capacity) capacity *= 2;
          const grownCells = ring.array(capacity * width);
          grownCells.set(cells as never);
          cells = grownCells;
          const grownRows = new Float64Array(capacity);
          grownRows.set(rowsPerKey);
          rowsPerKey = grownRows;
        }
        // A key's first row finds its cells all zero: its totals are written, not added.
        const fresh = rowsPerKey[key] === 0;
        rowsPerKey[key] = (rowsPerKey[key] as number) + rowCount;
        if (Number(row[1]) !== 1) continue;
        const cell = cellIndex(query, groups, row[2] ?? null, row[3] ?? null);
        if (cell < 0) continue;
        for (let m = 0; m < measures.length; m++) {
          const value = totals[measures[m] as (typeof measures)[number]];
          if (value === 0n) continue;
          const at = key * width + cell * measures.length + m;
          if (fresh) ring.setBigInt(cells, at, value);
          else ring.addBigInt(cells, at, value);
        }
      }
    }
    const most = rowsPerKey.reduce((a, b) => Math.max(a, b), 0);
    if (most > input.maxRowsPerKey)
      throw new ComputeError(
        "query_invalid",
        `dataset ${datasetId} has a key with ${most} rows; this join allows at most ${input.maxRowsPerKey} per key`,
      );
    const used = identifiers.length * width;
    return {
      keys: identifiers,
      cells:
        ring.length(cells) === used ? cells : (cells.subarray(0, used * (ring.bits === 64 ? 1 : 4)) as typeof cells),
      width,
      invalidKeys,
    };
  }

  async function entities(
    datasetId: string,
    keyField: string,
    ids: readonly string[],
    fields: readonly string[],
  ): Promise<HeldEntities> {
    const on = await target(datasetId);
    const specs = fields.map((name) => on.columns.get(name));
    const held = new Uint8Array(ids.length);
    if (ids.length === 0) return { held, fields: fields.map(() => new Float64Array(0)) };
    // Each row comes back with its key's position among the ids, so its values go straight there.
    const found = new Uint8Array(ids.length);
    const byPosition = fields.map(() => new Float64Array(ids.length));
    for await (const batch of rows(on, entitiesStatement(on, keyField, ids, fields))) {
      for (const row of batch) {
        const at = Number(row[0]) - 1;
        if (found[at] === 1)
          throw new ComputeError(
            "data_invalid",
            `dataset ${datasetId}: ${keyField} ${ids[at]} has more than one row; scoring needs one row per entity`,
          );
        found[at] = 1;
        const nullAt = row.indexOf(null, 1) - 1;
        if (nullAt >= 0) {
          const spec = specs[nullAt] as ColumnSpec;
          if ((spec.nulls ?? "refuse") === "refuse")
            throw new ComputeError(
              "data_invalid",
              `dataset ${datasetId}: ${spec.name} is NULL for a scored entity, and its owner declared it never NULL`,
            );
          continue;
        }
        held[at] = 1;
        for (let j = 0; j < fields.length; j++) (byPosition[j] as Float64Array)[at] = Number(row[j + 1]);
      }
    }
    let kept = 0;
    for (let i = 0; i < ids.length; i++) if (held[i] === 1) kept++;
    const columns = byPosition.map((values) => {
      const column = new Float64Array(kept);
      let k = 0;
      for (let i = 0; i < ids.length; i++) if (held[i] === 1) column[k++] = values[i] as number;
      return column;
    });
    return { held, fields: columns };
  }

  async function* identifiers(
    datasetId: string,
    keyField: string,
    valueField?: string,
  ): AsyncIterable<IdentifierBatch> {
    const on = await target(datasetId);
    const statement = identifiersStatement(on, keyField, valueField);
    const refuse = (field: string) => (on.columns.get(field)?.nulls ?? "refuse") === "refuse";
    for await (const batch of rows(on, statement)) {
      const ids = new Array<string>(batch.length);
      const values = valueField === undefined ? undefined : new Float64Array(batch.length);
      batch.forEach((row, i) => {
        if (row[0] === null || row[0] === undefined)
          throw new ComputeError(
            "data_invalid",
            `dataset ${datasetId}: ${keyField} is NULL in a row, and its owner declared it never NULL`,
          );
        ids[i] = String(row[0]);
        if (!values || valueField === undefined) return;
        const value = row[1];
        if ((value === null || value === undefined) && refuse(valueField))
          throw new ComputeError(
            "data_invalid",
            `dataset ${datasetId}: ${valueField} is NULL in a row, and its owner declared it never NULL`,
          );
        values[i] = value === null || value === undefined ? 0 : Number(value);
      });
      yield values ? { ids, values } : { ids };
    }
  }

  return {
    datasetIds: () => [...byId.keys()],
    describe: (datasetId) => {
      const dataset = byId.get(datasetId);
      return dataset && { id: dataset.id, columns: dataset.columns };
    },
    aggregate,
    joinFactors,
    entities,
    identifiers,
    close: async () => {
      await Promise.all(datasets.map((d) => d.engine.close()));
    },
  };
}

function unreadable(datasetId: string, engine: SqlEngine, error: unknown): ComputeError {
  return new ComputeError(
    "data_invalid",
    `dataset ${datasetId}: cannot read ${engine.where}: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error },
  );
}
