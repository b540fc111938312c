import { z } from "zod";

// The structured query language of aggregate jobs: JSON, validated, never SQL. Field names are bare
// (`industry`) and mean the same column in every dataset taking part; the measured field of each
// dataset comes with the job (`fields: ["dataset.field", …]`).

export const AGGREGATES = ["count", "sum", "mean", "variance", "histogram"] as const;
export type Aggregate = (typeof AGGREGATES)[number];

export const fieldNameSchema = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "a field is a lower-case column name");

/**
 * The largest magnitude a query constant may have: 2^48, so that a constant in hundredths and any
 * sum of values clamped to it stay exact in a double and in the nodes' fixed point.
 */
export const MAX_QUERY_MAGNITUDE = 2 ** 48;
const queryNumber = z
  .number()
  .finite()
  .min(-MAX_QUERY_MAGNITUDE, `at least -2^48 (-${MAX_QUERY_MAGNITUDE})`)
  .max(MAX_QUERY_MAGNITUDE, `at most 2^48 (${MAX_QUERY_MAGNITUDE})`);
const literal = z.union([z.string().max(200), queryNumber]);

export const filterSchema = z.discriminatedUnion("op", [
  z.strictObject({ field: fieldNameSchema, op: z.enum(["=", "!=", "<", "<=", ">", ">="]), value: literal }),
  z.strictObject({
    field: fieldNameSchema,
    op: z.literal("between"),
    min: queryNumber,
    max: queryNumber,
  }),
  z.strictObject({ field: fieldNameSchema, op: z.literal("in"), values: z.array(literal).min(1).max(1_000) }),
]);
export type Filter = z.infer<typeof filterSchema>;

export const MAX_CELLS = 20_000;

export const aggregateQueryShape = {
  aggregate: z.enum(AGGREGATES),
  filters: z.array(filterSchema).max(20).default([]),
  /** Group by a categorical field over a declared list of values; rows with other values are left out. */
  groupBy: z
    .strictObject({ field: fieldNameSchema, values: z.array(z.string().min(1).max(100)).min(1).max(1_000) })
    .optional(),
  /** Histogram bin edges, ascending: bins (−∞, e0), [e0, e1), …, [en, ∞). No minimum or maximum is revealed. */
  bins: z.array(queryNumber).min(1).max(200).optional(),
  /** Each value is clamped to these bounds before it is added; required for sums under differential privacy. */
  bounds: z.strictObject({ min: queryNumber, max: queryNumber }).optional(),
};

/** What every node computes over its rows; the same for all of them. */
export const aggregateQuerySchema = z
  .strictObject(aggregateQueryShape)
  .refine((q) => (q.aggregate === "histogram") === (q.bins !== undefined), {
    message: "a histogram declares its bins, and only a histogram does",
    path: ["bins"],
  })
  .refine((q) => !q.bins || q.bins.every((edge, i, all) => i === 0 || edge > (all[i - 1] as number)), {
    message: "bin edges must be strictly ascending",
    path: ["bins"],
  })
  .refine((q) => !q.bounds || q.bounds.min <= q.bounds.max, {
    message: "bounds.min must not exceed bounds.max",
    path: ["bounds"],
  })
  .refine((q) => !q.groupBy || new Set(q.groupBy.values).size === q.groupBy.values.length, {
    message: "group values must be unique",
    path: ["groupBy", "values"],
  })
  .refine((q) => cellCount(q) <= MAX_CELLS, { message: `a query may produce at most ${MAX_CELLS} cells` });
export type AggregateQuery = z.infer<typeof aggregateQuerySchema>;

/** How many numbers each cell carries: a count always (it decides suppression), then sums as needed. */
export function measuresOf(aggregate: Aggregate): ("count" | "sum" | "sumOfSquares")[] {
  switch (aggregate) {
    case "count":
    case "histogram":
      return ["count"];
    case "sum":
    case "mean":
      return ["count", "sum"];
    case "variance":
      return ["count", "sum", "sumOfSquares"];
  }
}

/** Cells are groups × bins (one of each when absent), in that order. */
export function cellCount(query: Pick<AggregateQuery, "groupBy" | "bins">): number {
  return (query.groupBy?.values.length ?? 1) * (query.bins ? query.bins.length + 1 : 1);
}

export function vectorLength(query: Pick<AggregateQuery, "aggregate" | "groupBy" | "bins">): number {
  return cellCount(query) * measuresOf(query.aggregate).length;
}

/** Every bare field a query reads besides the measured one. */
export function fieldsReadBy(query: AggregateQuery): string[] {
  return [...new Set([...query.filters.map((f) => f.field), ...(query.groupBy ? [query.groupBy.field] : [])])];
}
