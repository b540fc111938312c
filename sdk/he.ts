import { readFileSync, writeFileSync } from "node:fs";
import { z } from "zod";
import { fingerprintOf, type HeKeyFile } from "../compute/he/keys.js";
import { heParameterSetSchema } from "../compute/he/params.js";
import { parseWith } from "../lib/validate.js";

export { generateHeKeys, type HeKeyFile, type HePublicKeys, publicPartOf } from "../compute/he/keys.js";
export { HE_PARAMETER_SETS, type HeParameterSetId } from "../compute/he/params.js";

const heKeyFileSchema = z.object({
  kind: z.literal("sluice-he-keys"),
  paramSet: heParameterSetSchema,
  publicKey: z.string().min(1),
  relinKeys: z.string().min(1).optional(),
  galoisKeys: z.string().min(1).optional(),
  secretKey: z.string().min(1),
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
});

/** Writes a key set to a file only its owner can read (0600); refuses to overwrite one. */
export function writeHeKeyFile(file: string, keys: HeKeyFile): void {
  writeFileSync(file, `${JSON.stringify(keys)}\n`, { mode: 0o600, flag: "wx" });
}

/** Reads a key set written by writeHeKeyFile, checking that its fingerprint still matches its keys. */
export function readHeKeyFile(file: string): HeKeyFile {
  const keys = parseWith(heKeyFileSchema, JSON.parse(readFileSync(file, "utf8")), `homomorphic key file ${file}`);
  if (fingerprintOf(keys) !== keys.fingerprint)
    throw new Error(`homomorphic key file ${file}: the fingerprint does not match the keys`);
  return keys;
}
