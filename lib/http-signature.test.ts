import { sign, verify } from "node:crypto";
import { httpbis } from "http-message-signatures";
import { describe, expect, it } from "vitest";
import { generateEd25519KeyPair, importPublicKey } from "./ed25519.js";
import { AuthenticationError } from "./errors.js";
import { contentDigest, signRequest, verifyRequest, verifyRequestAsync } from "./http-signature.js";

const keys = generateEd25519KeyPair();
const url = "https://gateway.example/jobs?dry=1";
const body = '{"scenarioId":"sc_1"}';
const bodyBytes = new TextEncoder().encode(body);
const CREATED = 1_700_000_000;
const NOW = 1_700_000_010;

function signed(overrides: Partial<Parameters<typeof signRequest>[0]> = {}) {
  return new Headers(
    signRequest({
      method: "POST",
      url,
      body,
      keyId: "bank_1",
      privateKey: keys.privateKeyPem,
      nonce: "n0nce-123",
      created: CREATED,
      ...overrides,
    }),
  );
}

const verifyHeaders = (headers: Headers, changes: Partial<Parameters<typeof verifyRequest>[0]> = {}) =>
  verifyRequest({ method: "POST", url, headers, body: bodyBytes, publicKey: keys.publicKey, now: NOW, ...changes });

/** Signs a request with the independent `http-message-signatures` package, as a third-party client would. */
async function signedByLibrary(options: {
  label?: string;
  fields?: string[];
  params?: string[];
  paramValues?: Record<string, string | Date>;
  headers?: Record<string, string>;
}) {
  const request = await httpbis.signMessage(
    {
      key: { id: "bank_1", alg: "ed25519", sign: async (data) => sign(null, data, keys.privateKeyPem) },
      name: options.label ?? "sig1",
      fields: options.fields ?? ["@method", "@path", "@query", "content-digest"],
      params: options.params ?? ["created", "keyid", "nonce", "alg"],
      paramValues: { created: new Date(CREATED * 1000), nonce: "library-nonce-1", ...options.paramValues },
    },
    { method: "POST", url, headers: { "content-digest": contentDigest(body), ...options.headers } },
  );
  return new Headers(request.headers as Record<string, string>);
}

describe("the gateway's RFC 9421 profile", () => {
  it("signs in the documented shape and verifies what it signed", () => {
    const headers = signed();
    expect(headers.get("signature-input")).toBe(
      'sluice=("@method" "@path" "@query" "content-digest");created=1700000000;keyid="bank_1";nonce="n0nce-123";alg="ed25519"',
    );
    expect(headers.get("signature")).toMatch(/^sluice=:[A-Za-z0-9+/]{86}==:$/);
    expect(verifyHeaders(headers)).toEqual({ label: "sluice", keyId: "bank_1", created: CREATED, nonce: "n0nce-123" });
  });

  it.each([
    ["another method", { method: "PUT" }, "signature_invalid"],
    ["another query", { url: "https://gateway.example/jobs?dry=0" }, "signature_invalid"],
    ["another path", { url: "https://gateway.example/grants?dry=1" }, "signature_invalid"],
    ["another body", { body: new TextEncoder().encode('{"scenarioId":"sc_2"}') }, "digest_mismatch"],
    ["another key", { publicKey: generateEd25519KeyPair().publicKey }, "signature_invalid"],
    ["a clock far ahead", { now: CREATED + 301 }, "signature_expired"],
    ["a clock far behind", { now: CREATED - 301 }, "signature_expired"],
  ])("refuses %s, also on the thread pool", async (_name, changes, code) => {
    expect(() => verifyHeaders(signed(), changes)).toThrow(expect.objectContaining({ code }));
    const input = { method: "POST", url, headers: signed(), body: bodyBytes, publicKey: keys.publicKey, now: NOW };
    await expect(verifyRequestAsync(input)).resolves.toMatchObject({ keyId: "bank_1" });
    await expect(verifyRequestAsync({ ...input, ...changes })).rejects.toMatchObject({ code });
  });

  it("refuses a signature whose parameters were edited after signing", () => {
    const headers = signed();
    headers.set("signature-input", (headers.get("signature-input") as string).replace("n0nce-123", "n0nce-456"));
    expect(() => verifyHeaders(headers)).toThrow(/does not verify/);
  });

  it("accepts structured-field whitespace around and between members and any label", () => {
    const signedHeaders = signed();
    const input = (signedHeaders.get("signature-input") as string).replace(/^sluice=/, "mine=");
    const signature = (signedHeaders.get("signature") as string).replace(/^sluice=/, "mine=");
    // A plain header source, which (unlike Fetch's Headers) keeps the spaces a sender wrote.
    const raw: Record<string, string> = {
      "content-digest": signedHeaders.get("content-digest") as string,
      "signature-input": `   ${input}  ,   other=("@method");created=1`,
      signature: `  other=:AAEC:,    ${signature}`,
    };
    expect(verifyHeaders({ get: (name: string) => raw[name] } as Headers)).toMatchObject({
      label: "mine",
      keyId: "bank_1",
    });
  });
});

describe("requests signed by an independent RFC 9421 implementation (http-message-signatures)", () => {
  it("accepts its signature in the gateway's own profile", async () => {
    expect(verifyHeaders(await signedByLibrary({}))).toMatchObject({ label: "sig1", keyId: "bank_1" });
  });

  it("accepts another parameter order, more covered components and an expires still ahead", async () => {
    const headers = await signedByLibrary({
      fields: ["content-type", "@authority", "content-digest", "@query", "@path", "@method", "@target-uri"],
      params: ["alg", "nonce", "expires", "keyid", "created"],
      paramValues: { expires: new Date((NOW + 60) * 1000) },
      headers: { "content-type": "application/json" },
    });
    expect(headers.get("signature-input")).toMatch(/^sig1=\("content-type" "@authority".*;alg="ed25519";nonce=/);
    expect(verifyHeaders(headers)).toMatchObject({ keyId: "bank_1", expires: NOW + 60 });
    const changed = new Headers(headers);
    changed.set("content-type", "text/plain");
    expect(() => verifyHeaders(changed)).toThrow(/does not verify/);
  });

  it("refuses its signature once its expires has passed, though created is within the skew", async () => {
    const headers = await signedByLibrary({
      params: ["created", "expires", "keyid", "nonce"],
      paramValues: { expires: new Date((NOW - 1) * 1000) },
    });
    expect(() => verifyHeaders(headers)).toThrow(expect.objectContaining({ code: "signature_expired" }));
  });

  it("verifies the first signature that meets the profile when a request carries several", async () => {
    const ours = signed();
    const proxy = await signedByLibrary({ label: "proxy", fields: ["@authority"], params: ["created", "keyid"] });
    const headers = new Headers(ours);
    headers.set("signature-input", `${proxy.get("signature-input")}, ${ours.get("signature-input")}`);
    headers.set("signature", `${ours.get("signature")}, ${proxy.get("signature")}`);
    expect(verifyHeaders(headers)).toMatchObject({ label: "sluice" });
  });

  it("accepts a multi-member Content-Digest, every known member checked", async () => {
    const sha512 = `sha-512=:${(await import("node:crypto")).createHash("sha512").update(body).digest("base64")}:`;
    const headers = await signedByLibrary({ headers: { "content-digest": `${sha512}, ${contentDigest(body)}` } });
    expect(verifyHeaders(headers)).toMatchObject({ keyId: "bank_1" });
    expect(() => verifyHeaders(headers, { body: new TextEncoder().encode("{}") })).toThrow(
      expect.objectContaining({ code: "digest_mismatch" }),
    );
  });

  it("is verified by that implementation when the platform signs", async () => {
    const headers = Object.fromEntries(signed());
    const verified = await httpbis.verifyMessage(
      {
        keyLookup: async ({ keyid }) =>
          keyid === "bank_1"
            ? {
                id: "bank_1",
                algs: ["ed25519"],
                verify: async (data, signature) => verify(null, data, importPublicKey(keys.publicKey), signature),
              }
            : null,
        requiredFields: ["@method", "@path", "@query", "content-digest"],
        requiredParams: ["created", "keyid", "nonce"],
        notAfter: new Date((CREATED + 1) * 1000),
      },
      { method: "POST", url, headers },
    );
    expect(verified).toBe(true);
  });
});

describe("signatures the profile refuses, each with its reason", () => {
  const refuse = (signatureInput: string, message: RegExp, code = "signature_malformed") => {
    const headers = signed();
    headers.set("signature-input", signatureInput);
    let thrown: unknown;
    try {
      verifyHeaders(headers);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AuthenticationError);
    expect(thrown).toMatchObject({ code });
    expect((thrown as Error).message).toMatch(message);
  };
  const COVERED = '("@method" "@path" "@query" "content-digest")';

  it.each([
    [
      "too little covered",
      'sluice=("@method" "@path");created=1700000000;keyid="bank_1";nonce="n0nce-123"',
      /covers no "@query", "content-digest"/,
    ],
    [
      "a component only covered with a parameter",
      `sluice=("@method" "@path" "@query" "content-digest";key="sha-256");created=1700000000;keyid="bank_1";nonce="n0nce-123"`,
      /covers no "content-digest"/,
    ],
    ["no created", `sluice=${COVERED};keyid="bank_1";nonce="n0nce-123"`, /no integer created/],
    [
      "a created that is a string",
      `sluice=${COVERED};created="1700000000";keyid="bank_1";nonce="n0nce-123"`,
      /no integer created/,
    ],
    ["no keyid", `sluice=${COVERED};created=1700000000;nonce="n0nce-123"`, /no keyid/],
    ["no nonce", `sluice=${COVERED};created=1700000000;keyid="bank_1"`, /no nonce/],
    ["a short nonce", `sluice=${COVERED};created=1700000000;keyid="bank_1";nonce="n"`, /no nonce/],
    [
      "another algorithm",
      `sluice=${COVERED};created=1700000000;keyid="bank_1";nonce="n0nce-123";alg="rsa-pss-sha512"`,
      /only "ed25519"/,
    ],
    [
      "a decimal expires",
      `sluice=${COVERED};created=1700000000;keyid="bank_1";nonce="n0nce-123";expires=1.5`,
      /expires that is not an integer/,
    ],
    [
      "a label with no signature",
      `other=${COVERED};created=1700000000;keyid="bank_1";nonce="n0nce-123"`,
      /other has no member in Signature/,
    ],
    [
      "parameters whitespace inside the list",
      `sluice=${COVERED} ;created=1700000000`,
      /not a structured-field dictionary/,
    ],
  ])("refuses %s", (_name, signatureInput, message) => refuse(signatureInput, message));

  it("names every signature's problem when none qualifies", () => {
    refuse(
      `a=("@method");created=1, b=${COVERED};created=1700000000;keyid="bank_1"`,
      /a covers no "@path".*; b has no nonce/,
    );
  });

  it("refuses an unsigned request as missing, not malformed", () => {
    expect(() => verifyHeaders(new Headers({ "content-digest": contentDigest(body) }))).toThrow(
      expect.objectContaining({ code: "signature_missing" }),
    );
  });

  it("refuses a signature of the wrong length", () => {
    const headers = signed();
    headers.set("signature", "sluice=:AAEC:");
    expect(() => verifyHeaders(headers)).toThrow(/64-byte Ed25519/);
  });
});
