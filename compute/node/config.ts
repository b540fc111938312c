import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { parseWith } from "../../lib/validate.js";

export const nodeConfigSchema = z.object({
  nodeId: z.string().min(1),
  ownerId: z.string().min(1),
  host: z.string().default("127.0.0.1"),
  port: z.number().int().min(0).max(65535).default(0),
  keyFile: z.string().min(1),
  gatewayPublicKey: z.string().min(1),
  /** The owner's Ed25519 public keys: plans are computed only under approvals signed with one of them. */
  ownerPublicKeys: z.array(z.string().length(43)).min(1),
  shareTimeoutMs: z.number().int().positive().default(15_000),
  datasets: z
    .array(
      z.object({
        id: z.string().min(1),
        file: z.string().min(1),
        columns: z
          .array(
            z.object({
              name: z.string().min(1),
              type: z.enum(["string", "integer"]),
              level: z.number().int().min(1).optional(),
            }),
          )
          .min(1),
      }),
    )
    .min(1),
});
export type NodeConfig = z.infer<typeof nodeConfigSchema>;

/** Reads a node's JSON configuration; relative paths in it are relative to the file. */
export function readNodeConfig(file: string): NodeConfig {
  const config = parseWith(nodeConfigSchema, JSON.parse(readFileSync(file, "utf8")), `node configuration ${file}`);
  const base = path.dirname(path.resolve(file));
  return {
    ...config,
    keyFile: path.resolve(base, config.keyFile),
    datasets: config.datasets.map((d) => ({ ...d, file: path.resolve(base, d.file) })),
  };
}
