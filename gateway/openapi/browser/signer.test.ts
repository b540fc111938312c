import { describe, expect, it } from "vitest";
import { signRequest, verifyRequest } from "../../../lib/http-signature.js";
import { createKeyFile } from "../../../lib/key-file.js";
// @ts-expect-error: a plain browser script with no type declarations
import { importKeyFile, signRequestHeaders } from "./signer.js";

const key = createKeyFile("bank_one");
const url = "http://gateway.test/scenarios?pendingFor=owner_one";
const body = JSON.stringify({ purpose: "loan risk", epsilon: 0.5 });

async function browserSigned(created = 1_800_000_000, nonce = "nonce-browser-1") {
  const signer = await importKeyFile(JSON.stringify(key));
  return new Headers(
    await signRequestHeaders({
      method: "post",
      url,
      body,
      keyId: signer.keyId,
      privateKey: signer.privateKey,
      created,
      nonce,
    }),
  );
}

const verify = (headers: Headers, overrides: { url?: string; body?: string } = {}) =>
  verifyRequest({
    method: "POST",
    url: overrides.url ?? url,
    headers,
    body: new TextEncoder().encode(overrides.body ?? body),
    publicKey: key.publicKey,
    now: 1_800_000_000,
    maxSkewSeconds: 60,
  });

describe("the /docs page's WebCrypto signer", () => {
  it("writes byte for byte the headers the Node signer writes", async () => {
    const fromNode = signRequest({
      method: "POST",
      url,
      body,
      keyId: key.id,
      privateKey: key.privateKeyPem,
      created: 1_800_000_000,
      nonce: "nonce-browser-1",
    });
    expect(Object.fromEntries(await browserSigned())).toEqual(fromNode);
  });

  it("signs requests the gateway's verifier accepts", async () => {
    expect(verify(await browserSigned())).toEqual({
      label: "sluice",
      keyId: key.id,
      created: 1_800_000_000,
      nonce: "nonce-browser-1",
    });
  });

  it("is refused when the body or the query was altered after signing", async () => {
    const headers = await browserSigned();
    expect(() => verify(headers, { body: body.replace("0.5", "5") })).toThrow(/Content-Digest/);
    expect(() => verify(headers, { url: url.replace("owner_one", "owner_two") })).toThrow(/signature/);
  });

  it("refuses a file that is not a key file", async () => {
    await expect(importKeyFile(JSON.stringify({ hello: "world" }))).rejects.toThrow(/not a Sluice key file/);
    await expect(
      importKeyFile(
        JSON.stringify({ id: "x", privateKeyPem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----" }),
      ),
    ).rejects.toThrow();
  });
});
