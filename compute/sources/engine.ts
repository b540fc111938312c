import type { SqlDialect } from "./dialect.js";
import type { Statement } from "./pushdown.js";

export interface SourceColumn {
  /** The database's type name, lower-case. */
  type: string;
  /** The database itself refuses NULLs there (a NOT NULL constraint). */
  notNull: boolean;
}

/** A database a node runs its pushed-down statements in, over one dataset's relation. */
export interface SqlEngine {
  readonly dialect: SqlDialect;
  /** Where the dataset lives, as its owner would say it: `public.enterprise_tax`, `/data/tax/*.parquet`. */
  readonly where: string;
  /** The dataset's relation in a FROM clause. */
  readonly relation: string;
  /** The relation's columns as the database has them now. */
  columns(): Promise<Map<string, SourceColumn>>;
  /** A statement's output rows, every value as text or NULL, a batch at a time. */
  rows(statement: Statement): AsyncIterable<(string | null)[][]>;
  close(): Promise<void>;
}
