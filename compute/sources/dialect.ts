/** What an integer result is: a flag or a bin, a count of rows, a sum of values, a feature to score. */
export type IntegerSize = "flag" | "count" | "sum" | "feature";

/** What differs between the SQL of the databases a node pushes its work down to. */
export interface SqlDialect {
  readonly name: "postgres" | "duckdb";
  /** The text type a value read as digits is cast to (a feature, an amount), so that it arrives exactly. */
  readonly text: string;
  /**
   * The types an integer result is cast to, by how large it can be: a flag or a bin (below 2^31), a
   * count (below 2^63), a sum or a largest magnitude (any size), and a scored feature in fixed
   * point (which the node holds as a double, so a double is all it needs). Each is handed over by
   * the driver without loss: PostgreSQL's as digits, DuckDB's as a number (a flag, a feature) or a
   * bigint, read without decoding digits at all.
   */
  readonly integers: Readonly<Record<IntegerSize, string>>;
  /** A type wide enough for sums of squares of 48-bit values. */
  readonly wide: string;
  /** The exact decimal type a decimal column is read through before it is scaled to hundredths. */
  readonly decimal: string;
}

export const POSTGRES: SqlDialect = {
  name: "postgres",
  text: "text",
  integers: { flag: "text", count: "text", sum: "text", feature: "text" },
  wide: "numeric",
  decimal: "numeric",
};

export const DUCKDB: SqlDialect = {
  name: "duckdb",
  text: "VARCHAR",
  integers: { flag: "INTEGER", count: "BIGINT", sum: "HUGEINT", feature: "DOUBLE" },
  wide: "HUGEINT",
  decimal: "DECIMAL(38,18)",
};

/** A double-quoted SQL identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A single-quoted SQL string literal. */
export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
