import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateEd25519KeyPair } from "../lib/ed25519.js";
import { loadGatewayKeys } from "./keys.js";

describe("the gateway's signing key kept outside the data folder", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "sluice-gateway-key-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string, mode: number) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    chmodSync(file, mode);
    return file;
  };

  it("loads a PEM only its owner can read", () => {
    const pair = generateEd25519KeyPair();
    expect(loadGatewayKeys(write("gateway.pem", pair.privateKeyPem, 0o600)).publicKey).toBe(pair.publicKey);
  });

  it("refuses a key file others can read, a missing one and one that holds no key, naming the file", () => {
    const pair = generateEd25519KeyPair();
    const open = write("open.pem", pair.privateKeyPem, 0o644);
    expect(() => loadGatewayKeys(open)).toThrow(`${open} can be read by others than its owner: chmod 600 it`);
    expect(() => loadGatewayKeys(path.join(dir, "absent.pem"))).toThrow(/absent\.pem cannot be used/);
    expect(() => loadGatewayKeys(write("junk.pem", "not a key", 0o600))).toThrow(/junk\.pem cannot be used/);
  });
});
