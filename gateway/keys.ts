import { createPrivateKey } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generateEd25519KeyPair, publicKeyFromPrivatePem } from "../lib/ed25519.js";
import { createKeyFile, type KeyFile, readKeyFile, writeKeyFile } from "../lib/key-file.js";
import type { GatewayKeys } from "./deps.js";

/**
 * The gateway's signing key (plans and usage records) from a PEM file kept outside the data folder
 * (SLUICE_GATEWAY_KEY_FILE): read, never created, and refused when anyone but its owner can read it.
 */
export function loadGatewayKeys(file: string): GatewayKeys {
  let pem: string;
  try {
    if ((statSync(file).mode & 0o077) !== 0) {
      throw new Error(`${file} can be read by others than its owner: chmod 600 it`);
    }
    pem = readFileSync(file, "utf8");
    return { privateKey: createPrivateKey(pem), publicKey: publicKeyFromPrivatePem(pem) };
  } catch (cause) {
    throw new Error(`the gateway's signing key ${file} cannot be used: ${(cause as Error).message}`, { cause });
  }
}

/** The gateway's signing key (plans and usage records), created on first start and kept in the data folder. */
export function loadOrCreateGatewayKeys(keysDir: string): GatewayKeys {
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  const file = path.join(keysDir, "gateway.pem");
  if (!existsSync(file)) writeFileSync(file, generateEd25519KeyPair().privateKeyPem, { mode: 0o600 });
  const pem = readFileSync(file, "utf8");
  return { privateKey: createPrivateKey(pem), publicKey: publicKeyFromPrivatePem(pem) };
}

/** A participant key file in the data folder, created on first use. */
export function loadOrCreateKeyFile(keysDir: string, id: string): KeyFile & { file: string } {
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  const file = path.join(keysDir, `${id}.key.json`);
  if (!existsSync(file)) writeKeyFile(file, createKeyFile(id));
  return { ...readKeyFile(file), file };
}
