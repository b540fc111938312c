import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { parseWith } from "../../lib/validate.js";
import { pinnedPeerSchema } from "./peers.js";

const identifier = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "a lower-case SQL identifier");

export const nodeConfigSchema = z
  .object({
    nodeId: z.string().min(1),
    ownerId: z.string().min(1),
    host: z.string().default("127.0.0.1"),
    port: z.number().int().min(0).max(65535).default(0),
    keyFile: z.string().min(1),
    gatewayPublicKey: z.string().min(1),
    /** The owner's Ed25519 public keys: plans are computed only under approvals signed with one of them. */
    ownerPublicKeys: z.array(z.string().length(43)).default([]),
    shareTimeoutMs: z.number().int().positive().default(15_000),
    /** A helper node holds no data; it makes the third party of two-owner jobs. */
    helper: z.boolean().default(false),
    /**
     * Every other node and the helper this node works with, pinned by its owner: id, Ed25519 and
     * X25519 keys, address. Shares and sealed inputs go only to these; a plan naming anyone else, or
     * other keys, is refused. Required: an empty list takes part in no multi-party job.
     */
    peers: z.array(pinnedPeerSchema),
    /** Fields of this level or above leave the node only with differential-privacy noise. */
    noiseFromLevel: z.number().int().min(1).max(5).default(2),
    /** Where the node counts the scores it gave per entity (hashed), so a restart forgets none; memory only if absent. */
    scoreCountsFile: z.string().min(1).optional(),
    /** Where the node counts each scenario's jobs and ε against the owner's signed quota and budget, so a restart forgets none. */
    spendLedgerFile: z.string().min(1).default("spend-ledger.jsonl"),
    /** The node's own working files: DuckDB's spill space and UTF-8 copies of GB18030 files. */
    workDirectory: z.string().min(1).default("node-work"),
    sources: z
      .strictObject({
        /** Connections to each owner database, at most, for all the node's datasets there. */
        maxConnections: z.number().int().min(1).max(64).default(4),
        /** How long one pushed-down statement may run (ms) before the database cancels it. */
        statementTimeoutMs: z.number().int().min(100).default(120_000),
        /** DuckDB's threads and memory limit for file datasets. */
        duckdbThreads: z.number().int().min(1).max(64).default(2),
        duckdbMemoryLimit: z
          .string()
          .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$/i, "a size such as 512MB")
          .default("512MB"),
      })
      .prefault({}),
    datasets: z
      .array(
        z
          .object({
            id: z.string().min(1),
            /** A CSV file (UTF-8, RFC 4180, a header row): shorthand for `files` with format csv. */
            file: z.string().min(1).optional(),
            /** Files queried in place through DuckDB: one file, a directory of them, or a glob. */
            files: z
              .strictObject({
                path: z.string().min(1),
                format: z.enum(["csv", "parquet"]),
                encoding: z.enum(["utf-8", "gb18030"]).default("utf-8"),
                delimiter: z.string().length(1).default(","),
              })
              .optional(),
            /** Or a table in the owner's own PostgreSQL, queried live (the node needs SELECT on the listed columns only). */
            postgres: z
              .object({
                url: z.string().regex(/^postgres(ql)?:\/\//, "a postgres:// URL"),
                schema: identifier.default("public"),
                table: identifier,
              })
              .optional(),
            /** Or a table in the owner's own MySQL (8.0 or later) or MariaDB (10.6 or later), queried live the same way. */
            mysql: z
              .strictObject({
                url: z.string().regex(/^mysql:\/\/[^/]+\/[A-Za-z0-9_$]{1,64}$/, "a mysql:// URL naming its database"),
                table: identifier,
              })
              .optional(),
            /** Opens the dataset to encrypted scoring: entities looked up by idField, features clamped to bounds. */
            scoring: z
              .object({
                idField: identifier,
                bounds: z.record(
                  identifier,
                  z.tuple([z.number(), z.number()]).refine(([lo, hi]) => lo < hi, "lowest < highest"),
                ),
                maxScoresPerId: z.number().int().min(1).default(4),
              })
              .optional(),
            columns: z
              .array(
                z.object({
                  name: identifier,
                  type: z.enum(["string", "integer", "decimal"]),
                  level: z.number().int().min(1).optional(),
                  /** What a NULL here means: refused (the default), its row skipped, or counted as SQL counts it. */
                  nulls: z.enum(["refuse", "skip", "count"]).optional(),
                }),
              )
              .min(1),
          })
          .refine((d) => [d.file, d.files, d.postgres, d.mysql].filter((s) => s !== undefined).length === 1, {
            message:
              "a dataset comes from a CSV file, from files, or from a PostgreSQL or MySQL table: exactly one of file, files, postgres and mysql",
          }),
      )
      .default([]),
  })
  .refine((c) => c.helper || (c.datasets.length > 0 && c.ownerPublicKeys.length > 0), {
    message: "an owner's node names its datasets and its owner's public keys (only a helper node has none)",
    path: ["datasets"],
  })
  .refine((c) => !c.helper || c.datasets.length === 0, {
    message: "a helper node holds no datasets",
    path: ["datasets"],
  });
export type NodeConfig = z.infer<typeof nodeConfigSchema>;
/** A configuration file as written: defaults may be left out. */
export type NodeConfigFile = z.input<typeof nodeConfigSchema>;

/** Reads a node's JSON configuration; relative paths in it are relative to the file. */
export function readNodeConfig(file: string): NodeConfig {
  const config = parseWith(nodeConfigSchema, JSON.parse(readFileSync(file, "utf8")), `node configuration ${file}`);
  const base = path.dirname(path.resolve(file));
  return {
    ...config,
    keyFile: path.resolve(base, config.keyFile),
    ...(config.scoreCountsFile ? { scoreCountsFile: path.resolve(base, config.scoreCountsFile) } : {}),
    spendLedgerFile: path.resolve(base, config.spendLedgerFile),
    workDirectory: path.resolve(base, config.workDirectory),
    datasets: config.datasets.map((d) => ({
      ...d,
      ...(d.file ? { file: path.resolve(base, d.file) } : {}),
      ...(d.files ? { files: { ...d.files, path: path.resolve(base, d.files.path) } } : {}),
    })),
  };
}
