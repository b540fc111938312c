/** What an integer result is: a flag, a bin or a position, a count of rows, a sum of values, a feature to score. */
export type IntegerSize = "flag" | "count" | "sum" | "feature";

/** What differs between the SQL of the databases a node pushes its work down to. */
export interface SqlDialect {
  readonly name: "postgres" | "duckdb" | "mysql";
  /** The text type a value read as digits is cast to (a feature, an amount), so that it arrives exactly. */
  readonly text: string;
  /** The 64-bit integer type a number in the node's fixed point is cast to. */
  readonly bigint: string;
  /**
   * The types an integer result is cast to, by how large it can be: a flag, a bin or a position (below 2^31), a
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
  /**
   * A FROM item of the ids bound as parameter `param`, as rows (wanted, position), position counting
   * from 1 in the order given. `joined` says the parameter holds them as one text, joined by
   * newlines (none of them holds one), rather than as an array.
   */
  idsTable(param: string, joined: boolean): string;
  /** Whether `idsTable` reads ids joined into one text faster than an array parameter. */
  readonly joinsIds: boolean;
}

export const POSTGRES: SqlDialect = {
  name: "postgres",
  text: "text",
  bigint: "BIGINT",
  integers: { flag: "text", count: "text", sum: "text", feature: "text" },
  wide: "numeric",
  decimal: "numeric",
  idsTable: (param) => `unnest(CAST(${param} AS text[])) WITH ORDINALITY AS wanted_ids(wanted, position)`,
  joinsIds: false,
};

export const DUCKDB: SqlDialect = {
  name: "duckdb",
  text: "VARCHAR",
  bigint: "BIGINT",
  integers: { flag: "INTEGER", count: "BIGINT", sum: "HUGEINT", feature: "DOUBLE" },
  wide: "HUGEINT",
  decimal: "DECIMAL(38,18)",
  // An array parameter is converted value by value by the client (~90 ms for 100,000 ids); one text
  // split by DuckDB itself is not.
  idsTable: (param, joined) =>
    `(SELECT unnest(ids) AS wanted, generate_subscripts(ids, 1) AS position FROM (SELECT ${
      joined ? `string_split(${param}, chr(10))` : `CAST(${param} AS VARCHAR[])`
    } AS ids)) AS wanted_ids`,
  joinsIds: true,
};

/**
 * MySQL 8 and MariaDB 10.6 or later, in sessions the engine sets up (`mysql-engine.ts`): identifiers
 * in double quotes (ANSI_QUOTES), and text compared byte for byte without padding (the session's
 * collation, which a cast to CHAR takes), as PostgreSQL and DuckDB compare it. Every result comes
 * back as digits or text, as PostgreSQL's do; the ids of a lookup travel as one JSON array.
 */
export const MYSQL: SqlDialect = {
  name: "mysql",
  text: "CHAR",
  bigint: "SIGNED",
  integers: { flag: "CHAR", count: "CHAR", sum: "CHAR", feature: "CHAR" },
  wide: "DECIMAL(65,0)",
  decimal: "DECIMAL(65,30)",
  idsTable: (param) =>
    `(SELECT CAST(wanted AS CHAR) AS wanted, position FROM JSON_TABLE(${param}, '$[*]' COLUMNS (position FOR ORDINALITY, wanted LONGTEXT PATH '$')) AS ids) AS wanted_ids`,
  joinsIds: false,
};

/** A double-quoted SQL identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A single-quoted SQL string literal. */
export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
