/** What differs between the SQL of the databases a node pushes its work down to. */
export interface SqlDialect {
  readonly name: "postgres" | "duckdb";
  /** The text type every result is cast to, so that exact integers arrive as digits. */
  readonly text: string;
  /** A type wide enough for sums of squares of 48-bit values. */
  readonly wide: string;
  /** The exact decimal type a decimal column is read through before it is scaled to hundredths. */
  readonly decimal: string;
}

export const POSTGRES: SqlDialect = {
  name: "postgres",
  text: "text",
  wide: "numeric",
  decimal: "numeric",
};

export const DUCKDB: SqlDialect = {
  name: "duckdb",
  text: "VARCHAR",
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
