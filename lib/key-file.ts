import { readFileSync, writeFileSync } from "node:fs";
import { z } from "zod";
import { generateEd25519KeyPair, publicKeyFromPrivatePem } from "./ed25519.js";
import { parseWith } from "./validate.js";

/** A participant's key file: its id, its Ed25519 public key and its private key. Keep it private. */
export const keyFileSchema = z.object({
  id: z.string().min(1),
  publicKey: z.string().length(43),
  privateKeyPem: z.string().includes("PRIVATE KEY"),
});
export type KeyFile = z.infer<typeof keyFileSchema>;

export function createKeyFile(id: string): KeyFile {
  return { id, ...generateEd25519KeyPair() };
}

export function readKeyFile(file: string): KeyFile {
  const key = parseWith(keyFileSchema, JSON.parse(readFileSync(file, "utf8")), `key file ${file}`);
  if (publicKeyFromPrivatePem(key.privateKeyPem) !== key.publicKey)
    throw new Error(`key file ${file}: the public key does not match the private key`);
  return key;
}

export function writeKeyFile(file: string, key: KeyFile): void {
  writeFileSync(file, `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600, flag: "wx" });
}
