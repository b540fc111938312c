import type { SqlDialect } from "./dialect.js";
import type { Statement } from "./pushdown.js";

export interface SourceColumn {
  /** The database's type name, lower-case. */
  type: string;
  /** The database itself refuses NULLs there (a NOT NULL constraint). */
  notNull: boolean;
}

/**
 * One value of a statement's output: text, or an exact integer as the dialect's client hands it
 * over (DuckDB's as a bigint, or a number when it fits a 32-bit column), or NULL.
 */
export type SourceValue = string | bigint | number | null;

/** A database a node runs its pushed-down statements in, over one dataset's relation. */
export interface SqlEngine {
  readonly dialect: SqlDialect;
  /** Where the dataset lives, as its owner would say it: `public.enterprise_tax`, `/data/tax/*.parquet`. */
  readonly where: string;
  /** The dataset's relation in a FROM clause. */
  readonly relation: string;
  /** The relation's columns as the database has them now. */
  columns(): Promise<Map<string, SourceColumn>>;
  /** A statement's output rows, a batch at a time. */
  rows(statement: Statement): AsyncIterable<SourceValue[][]>;
  close(): Promise<void>;
}
