import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, statSync } from "node:fs";
import { mkdir, readdir, rename, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { type DuckDBConnection, DuckDBInstance, listValue } from "@duckdb/node-api";
import { ComputeError } from "../errors.js";
import { DUCKDB, quoteLiteral } from "./dialect.js";
import type { SourceValue, SqlEngine } from "./engine.js";
import type { Statement } from "./pushdown.js";

export interface FileSourceSettings {
  /** A file, a directory (every file of the format in it, as one dataset) or a glob. */
  path: string;
  format: "csv" | "parquet";
  /** A CSV's encoding; GB18030 is read through a UTF-8 copy the node keeps beside its other state. */
  encoding: "utf-8" | "gb18030";
  /** A CSV's delimiter (RFC 4180: a comma). */
  delimiter: string;
}

export interface DuckDbSettings {
  threads: number;
  /** DuckDB's own limit (e.g. "512MB"); past it, it spills to `tempDirectory`. */
  memoryLimit: string;
  tempDirectory: string;
  /** Where transcoded copies of GB18030 files are kept. */
  cacheDirectory: string;
  statementTimeoutMs: number;
}

/** The node's one embedded DuckDB, over which every file dataset is queried in place. */
export class DuckDbFiles {
  private instance: Promise<DuckDBInstance> | null = null;

  constructor(private readonly settings: DuckDbSettings) {}

  private database(): Promise<DuckDBInstance> {
    this.instance ??= DuckDBInstance.create(":memory:", {
      threads: String(this.settings.threads),
      memory_limit: this.settings.memoryLimit,
      temp_directory: this.settings.tempDirectory,
      // The files an owner registered are the only ones read; no extension is installed or loaded.
      autoinstall_known_extensions: "false",
      autoload_known_extensions: "false",
    });
    return this.instance;
  }

  /** A connection of its own for one statement, interrupted if it runs past the timeout; `release` closes it. */
  private async connect(): Promise<{ connection: DuckDBConnection; release: () => void }> {
    const connection = await (await this.database()).connect();
    const timer = setTimeout(() => connection.interrupt(), this.settings.statementTimeoutMs);
    return {
      connection,
      release: () => {
        clearTimeout(timer);
        connection.closeSync();
      },
    };
  }

  private async describe(relation: string) {
    const { connection, release } = await this.connect();
    try {
      const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${relation}`);
      return new Map(
        described
          .getRowObjectsJS()
          .map((r) => [String(r.column_name), { type: String(r.column_type).toLowerCase(), notNull: r.null === "NO" }]),
      );
    } finally {
      release();
    }
  }

  private async *readyThenStream(ready: () => Promise<void>, statement: Statement) {
    await ready();
    yield* this.stream(statement);
  }

  /**
   * The rows a chunk at a time, read column by column: a VARCHAR arrives as a string and a HUGEINT
   * as a bigint, without the per-value conversion of the client's JS rows (half the time of a join's
   * million keys).
   */
  private async *stream(statement: Statement): AsyncGenerator<SourceValue[][]> {
    const { connection, release } = await this.connect();
    try {
      const params = statement.params.map((p) => (typeof p === "string" ? p : listValue([...p])));
      const result = await connection.stream(statement.sql, params);
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        const columns = chunk.getColumns() as SourceValue[][];
        const rows = new Array<SourceValue[]>(chunk.rowCount);
        for (let r = 0; r < chunk.rowCount; r++) {
          const row = new Array<SourceValue>(columns.length);
          for (let c = 0; c < columns.length; c++) row[c] = (columns[c] as SourceValue[])[r] as SourceValue;
          rows[r] = row;
        }
        yield rows;
      }
    } finally {
      release();
    }
  }

  engine(source: FileSourceSettings): SqlEngine {
    const transcoded =
      source.format === "csv" && source.encoding === "gb18030"
        ? path.join(
            this.settings.cacheDirectory,
            createHash("sha256").update(path.resolve(source.path)).digest("hex").slice(0, 16),
          )
        : null;
    const reading = transcoded
      ? path.join(transcoded, "*.csv")
      : isDirectory(source.path)
        ? path.join(source.path, `*.${source.format}`)
        : source.path;
    const relation = relationOf(source, reading);
    const ready = () => (transcoded ? transcodeGb18030(source.path, transcoded) : ensureExists(source.path));
    return {
      dialect: DUCKDB,
      where: source.path,
      relation,
      columns: async () => {
        await ready();
        return this.describe(relation);
      },
      rows: (statement) => this.readyThenStream(ready, statement),
      close: async () => {},
    };
  }

  async close(): Promise<void> {
    const instance = await this.instance;
    instance?.closeSync();
    this.instance = null;
  }
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}

function relationOf(source: FileSourceSettings, reading: string): string {
  const files = quoteLiteral(reading);
  if (source.format === "parquet") return `read_parquet(${files}, union_by_name = true)`;
  // RFC 4180: a header row, fields quoted with " and a quote inside doubled; every cell read as
  // text and cast per job, so that a decimal arrives as its digits.
  return `read_csv(${files}, header = true, all_varchar = true, delim = ${quoteLiteral(source.delimiter)}, quote = '"', escape = '"', strict_mode = true, union_by_name = true)`;
}

async function ensureExists(file: string): Promise<void> {
  if (/[*?[]/.test(file)) return;
  await stat(file).catch(() => {
    throw new ComputeError("data_invalid", `${file} does not exist`);
  });
}

/**
 * Keeps a UTF-8 copy of each GB18030 file (one file, or each .csv of a directory) in `into`, made
 * again whenever the original's size or time changes; decoding is strict, so a byte that is not
 * GB18030 fails the job rather than reading as a replacement character.
 */
async function transcodeGb18030(source: string, into: string): Promise<void> {
  const files = isDirectory(source)
    ? (await readdir(source)).filter((f) => f.toLowerCase().endsWith(".csv")).map((f) => path.join(source, f))
    : [source];
  await mkdir(into, { recursive: true });
  for (const file of files) {
    const info = await stat(file).catch(() => {
      throw new ComputeError("data_invalid", `${file} does not exist`);
    });
    const stamp = `${info.size}-${Math.floor(info.mtimeMs)}`;
    const copy = path.join(into, `${path.basename(file, path.extname(file))}.${stamp}.csv`);
    if (
      await stat(copy).then(
        () => true,
        () => false,
      )
    )
      continue;
    const stem = path.basename(file, path.extname(file));
    const earlier = (name: string) =>
      name.startsWith(`${stem}.`) && /^\d+-\d+\.csv(\.partial)?$/.test(name.slice(stem.length + 1));
    for (const old of await readdir(into)) if (earlier(old)) await unlink(path.join(into, old)).catch(() => {});
    const decoder = new TextDecoder("gb18030", { fatal: true });
    const partial = `${copy}.partial`;
    try {
      await pipeline(
        createReadStream(file),
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) yield decoder.decode(chunk, { stream: true });
          yield decoder.decode();
        },
        createWriteStream(partial),
      );
    } catch (error) {
      throw new ComputeError("data_invalid", `${file} is not GB18030 text: ${(error as Error).message}`, {
        cause: error,
      });
    }
    await rename(partial, copy);
  }
}
