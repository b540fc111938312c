import { describe, expect, it } from "vitest";
import { generateEd25519KeyPair } from "./ed25519.js";
import { AuthenticationError } from "./errors.js";
import { contentDigest, signatureBase, signRequest, verifyRequest, verifyRequestAsync } from "./http-signature.js";

const keys = generateEd25519KeyPair();
const url = "https://gateway.example/jobs?dry=1";
const body = '{"scenarioId":"sc_1"}';

function signed(overrides: Partial<Parameters<typeof signRequest>[0]> = {}) {
  return new Headers(
    signRequest({
      method: "POST",
      url,
      body,
      keyId: "bank_1",
      privateKey: keys.privateKeyPem,
      nonce: "n0nce-123",
      created: 1_700_000_000,
      ...overrides,
    }),
  );
}

const verify = (headers: Headers, changes: Partial<Parameters<typeof verifyRequest>[0]> = {}) =>
  verifyRequest({
    method: "POST",
    url,
    headers,
    body: new TextEncoder().encode(body),
    publicKey: keys.publicKey,
    now: 1_700_000_010,
    ...changes,
  });

describe("RFC 9421 request signatures", () => {
  it("computes the RFC 9530 digest of an empty body as published", () => {
    // RFC 9530 §B.1 shows sha-256 of the empty body (the same value as SHA-256 of no bytes).
    expect(contentDigest("")).toBe("sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:");
  });

  it("builds the signature base as RFC 9421 §2.5 lays it out", () => {
    const base = signatureBase("post", new URL(url), "sha-256=:x:", {
      created: 1,
      keyid: "k",
      nonce: "n",
      alg: "ed25519",
    });
    expect(base).toBe(
      [
        '"@method": POST',
        '"@path": /jobs',
        '"@query": ?dry=1',
        '"content-digest": sha-256=:x:',
        '"@signature-params": ("@method" "@path" "@query" "content-digest");created=1;keyid="k";nonce="n";alg="ed25519"',
      ].join("\n"),
    );
  });

  it("verifies what it signed and returns the key id, created and nonce", () => {
    expect(verify(signed())).toEqual({ keyId: "bank_1", created: 1_700_000_000, nonce: "n0nce-123" });
  });

  it.each([
    ["another method", { method: "PUT" }],
    ["another query", { url: "https://gateway.example/jobs?dry=0" }],
    ["another path", { url: "https://gateway.example/grants?dry=1" }],
    ["another body", { body: new TextEncoder().encode('{"scenarioId":"sc_2"}') }],
    ["another key", { publicKey: generateEd25519KeyPair().publicKey }],
    ["a clock far ahead", { now: 1_700_000_000 + 301 }],
    ["a clock far behind", { now: 1_700_000_000 - 301 }],
  ])("refuses %s", (_name, changes) => {
    expect(() => verify(signed(), changes)).toThrow(AuthenticationError);
  });

  it.each([
    ["another method", { method: "PUT" }, "signature_invalid"],
    ["another query", { url: "https://gateway.example/jobs?dry=0" }, "signature_invalid"],
    ["another body", { body: new TextEncoder().encode('{"scenarioId":"sc_2"}') }, "digest_mismatch"],
    ["another key", { publicKey: generateEd25519KeyPair().publicKey }, "signature_invalid"],
    ["a clock far ahead", { now: 1_700_000_000 + 301 }, "signature_expired"],
  ])("verifies on the thread pool with the same refusals: %s", async (_name, changes, code) => {
    const input = {
      method: "POST",
      url,
      headers: signed(),
      body: new TextEncoder().encode(body),
      publicKey: keys.publicKey,
      now: 1_700_000_010,
    };
    await expect(verifyRequestAsync(input)).resolves.toEqual({
      keyId: "bank_1",
      created: 1_700_000_000,
      nonce: "n0nce-123",
    });
    await expect(verifyRequestAsync({ ...input, ...changes })).rejects.toMatchObject({ code });
  });

  it("refuses a signature whose parameters were edited after signing", () => {
    const headers = signed();
    headers.set("signature-input", (headers.get("signature-input") as string).replace("n0nce-123", "n0nce-456"));
    expect(() => verify(headers)).toThrow(/does not verify/);
  });
});
