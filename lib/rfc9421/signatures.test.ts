import { constants, createHmac, createPrivateKey, createPublicKey, sign, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { AuthenticationError } from "../errors.js";
import { readMessageSignatures, signatureBase } from "./signatures.js";

// RFC 9421 Appendix B.1: the published test keys (B.1.2 test-key-rsa-pss, B.1.4 test-key-ed25519,
// B.1.5 test-shared-secret).
const RSA_PSS_KEY = `-----BEGIN PRIVATE KEY-----
MIIEvgIBADALBgkqhkiG9w0BAQoEggSqMIIEpgIBAAKCAQEAr4tmm3r20Wd/Pbqv
P1s2+QEtvpuRaV8Yq40gjUR8y2Rjxa6dpG2GXHbPfvMs8ct+Lh1GH45x28Rw3Ry5
3mm+oAXjyQ86OnDkZ5N8lYbggD4O3w6M6pAvLkhk95AndTrifbIFPNU8PPMO7Oyr
FAHqgDsznjPFmTOtCEcN2Z1FpWgchwuYLPL+Wokqltd11nqqzi+bJ9cvSKADYdUA
AN5WUtzdpiy6LbTgSxP7ociU4Tn0g5I6aDZJ7A8Lzo0KSyZYoA485mqcO0GVAdVw
9lq4aOT9v6d+nb4bnNkQVklLQ3fVAvJm+xdDOp9LCNCN48V2pnDOkFV6+U9nV5oy
c6XI2wIDAQABAoIBAQCUB8ip+kJiiZVKF8AqfB/aUP0jTAqOQewK1kKJ/iQCXBCq
pbo360gvdt05H5VZ/RDVkEgO2k73VSsbulqezKs8RFs2tEmU+JgTI9MeQJPWcP6X
aKy6LIYs0E2cWgp8GADgoBs8llBq0UhX0KffglIeek3n7Z6Gt4YFge2TAcW2WbN4
XfK7lupFyo6HHyWRiYHMMARQXLJeOSdTn5aMBP0PO4bQyk5ORxTUSeOciPJUFktQ
HkvGbym7KryEfwH8Tks0L7WhzyP60PL3xS9FNOJi9m+zztwYIXGDQuKM2GDsITeD
2mI2oHoPMyAD0wdI7BwSVW18p1h+jgfc4dlexKYRAoGBAOVfuiEiOchGghV5vn5N
RDNscAFnpHj1QgMr6/UG05RTgmcLfVsI1I4bSkbrIuVKviGGf7atlkROALOG/xRx
DLadgBEeNyHL5lz6ihQaFJLVQ0u3U4SB67J0YtVO3R6lXcIjBDHuY8SjYJ7Ci6Z6
vuDcoaEujnlrtUhaMxvSfcUJAoGBAMPsCHXte1uWNAqYad2WdLjPDlKtQJK1diCm
rqmB2g8QE99hDOHItjDBEdpyFBKOIP+NpVtM2KLhRajjcL9Ph8jrID6XUqikQuVi
4J9FV2m42jXMuioTT13idAILanYg8D3idvy/3isDVkON0X3UAVKrgMEne0hJpkPL
FYqgetvDAoGBAKLQ6JZMbSe0pPIJkSamQhsehgL5Rs51iX4m1z7+sYFAJfhvN3Q/
OGIHDRp6HjMUcxHpHw7U+S1TETxePwKLnLKj6hw8jnX2/nZRgWHzgVcY+sPsReRx
NJVf+Cfh6yOtznfX00p+JWOXdSY8glSSHJwRAMog+hFGW1AYdt7w80XBAoGBAImR
NUugqapgaEA8TrFxkJmngXYaAqpA0iYRA7kv3S4QavPBUGtFJHBNULzitydkNtVZ
3w6hgce0h9YThTo/nKc+OZDZbgfN9s7cQ75x0PQCAO4fx2P91Q+mDzDUVTeG30mE
t2m3S0dGe47JiJxifV9P3wNBNrZGSIF3mrORBVNDAoGBAI0QKn2Iv7Sgo4T/XjND
dl2kZTXqGAk8dOhpUiw/HdM3OGWbhHj2NdCzBliOmPyQtAr770GITWvbAI+IRYyF
S7Fnk6ZVVVHsxjtaHy1uJGFlaZzKR4AGNaUTOJMs6NadzCmGPAxNQQOCqoUjn4XR
rOjr9w349JooGXhOxbu8nOxX
-----END PRIVATE KEY-----
`;
const ED25519_KEY = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF
-----END PRIVATE KEY-----`;
const ED25519_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=
-----END PUBLIC KEY-----`;
const SHARED_SECRET = "uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==";

// RFC 9421 Appendix B.2: the test request, and the signatures the RFC publishes over it.
const B2_HEADERS = {
  host: "example.com",
  date: "Tue, 20 Apr 2021 02:07:55 GMT",
  "content-type": "application/json",
  "content-digest":
    "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
  "content-length": "18",
};
const B2_URL = new URL("http://example.com/foo?param=Value&Pet=dog");

function b2Request(signatureInput: string, signature: string) {
  const headers = new Headers({ ...B2_HEADERS, "signature-input": signatureInput, signature });
  return { method: "POST", url: B2_URL, headers };
}

function only(signatureInput: string, signature: string) {
  const request = b2Request(signatureInput, signature);
  const [message] = readMessageSignatures(request.headers);
  if (!message?.signature) throw new Error("the vector has no signature");
  return { request, message, base: Buffer.from(signatureBase(request, message)), bytes: message.signature };
}

const rsaPss = (base: Buffer, bytes: Uint8Array) =>
  verify(
    "sha512",
    base,
    { key: createPublicKey(createPrivateKey(RSA_PSS_KEY)), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 },
    bytes,
  );

describe("RFC 9421 signature bases, against the RFC's Appendix B vectors", () => {
  it("B.2.1 minimal signature (nothing covered, a nonce): the published RSA-PSS signature verifies", () => {
    const { base, bytes } = only(
      'sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"',
      "sig-b21=:d2pmTvmbncD3xQm8E9ZV2828BjQWGgiwAaw5bAkgibUopemLJcWDy/lkbbHAve4cRAtx31Iq786U7it++wgGxbtRxf8Udx7zFZsckzXaJMkA7ChG52eSkFxykJeNqsrWH5S+oxNFlD4dzVuwe8DhTSja8xxbR/Z2cOGdCbzR72rgFWhzx2VjBqJzsPLMIQKhO4DGezXehhWwE56YCE+O6c0mKZsfxVrogUvA4HELjVKWmAvtl6UnCh8jYzuVG5WSb/QEVPnP5TmcAnLH1g+s++v6d4s8m0gCw1fV5/SITLq9mhho8K3+7EPYTU8IU1bLhdxO5Nyt8C8ssinQ98Xw9Q==:",
    );
    expect(base.toString()).toBe(
      '"@signature-params": ();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"',
    );
    expect(rsaPss(base, bytes)).toBe(true);
  });

  it("B.2.2 selective coverage (@authority, content-digest, @query-param;name, a tag): the RSA-PSS signature verifies", () => {
    const { base, bytes } = only(
      'sig-b22=("@authority" "content-digest" "@query-param";name="Pet");created=1618884473;keyid="test-key-rsa-pss";tag="header-example"',
      "sig-b22=:LjbtqUbfmvjj5C5kr1Ugj4PmLYvx9wVjZvD9GsTT4F7GrcQEdJzgI9qHxICagShLRiLMlAJjtq6N4CDfKtjvuJyE5qH7KT8UCMkSowOB4+ECxCmT8rtAmj/0PIXxi0A0nxKyB09RNrCQibbUjsLS/2YyFYXEu4TRJQzRw1rLEuEfY17SARYhpTlaqwZVtR8NV7+4UKkjqpcAoFqWFQh62s7Cl+H2fjBSpqfZUJcsIk4N6wiKYd4je2U/lankenQ99PZfB4jY3I5rSV2DSBVkSFsURIjYErOs0tFTQosMTAoxk//0RoKUqiYY8Bh0aaUEb0rQl3/XaVe4bXTugEjHSw==:",
    );
    expect(base.toString()).toBe(
      [
        '"@authority": example.com',
        `"content-digest": ${B2_HEADERS["content-digest"]}`,
        '"@query-param";name="Pet": dog',
        '"@signature-params": ("@authority" "content-digest" "@query-param";name="Pet");created=1618884473;keyid="test-key-rsa-pss";tag="header-example"',
      ].join("\n"),
    );
    expect(rsaPss(base, bytes)).toBe(true);
  });

  it("B.2.3 full coverage (date, @method, @path, @query, @authority and the content fields): the RSA-PSS signature verifies", () => {
    const { base, bytes } = only(
      'sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss"',
      "sig-b23=:bbN8oArOxYoyylQQUU6QYwrTuaxLwjAC9fbY2F6SVWvh0yBiMIRGOnMYwZ/5MR6fb0Kh1rIRASVxFkeGt683+qRpRRU5p2voTp768ZrCUb38K0fUxN0O0iC59DzYx8DFll5GmydPxSmme9v6ULbMFkl+V5B1TP/yPViV7KsLNmvKiLJH1pFkh/aYA2HXXZzNBXmIkoQoLd7YfW91kE9o/CCoC1xMy7JA1ipwvKvfrs65ldmlu9bpG6A9BmzhuzF8Eim5f8ui9eH8LZH896+QIF61ka39VBrohr9iyMUJpvRX2Zbhl5ZJzSRxpJyoEZAFL2FUo5fTIztsDZKEgM4cUA==:",
    );
    expect(base.toString().split("\n").slice(0, 4)).toEqual([
      '"date": Tue, 20 Apr 2021 02:07:55 GMT',
      '"@method": POST',
      '"@path": /foo',
      '"@query": ?param=Value&Pet=dog',
    ]);
    expect(rsaPss(base, bytes)).toBe(true);
  });

  it("B.2.5 HMAC-SHA256 over date, @authority and content-type: the published MAC is reproduced", () => {
    const { base, bytes } = only(
      'sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"',
      "sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:",
    );
    const mac = createHmac("sha256", Buffer.from(SHARED_SECRET, "base64")).update(base).digest();
    expect(mac.equals(Buffer.from(bytes))).toBe(true);
  });

  it("B.2.6 Ed25519: the published base, the published key, and signing it reproduces the published signature", () => {
    const { base, bytes } = only(
      'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
      "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:",
    );
    expect(base.toString()).toBe(
      [
        '"date": Tue, 20 Apr 2021 02:07:55 GMT',
        '"@method": POST',
        '"@path": /foo',
        '"@authority": example.com',
        '"content-type": application/json',
        '"content-length": 18',
        '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
      ].join("\n"),
    );
    const derived = createPublicKey(createPrivateKey(ED25519_KEY)).export({ type: "spki", format: "pem" });
    expect(derived.toString().trim()).toBe(ED25519_PUBLIC_KEY);
    expect(verify(null, base, ED25519_PUBLIC_KEY, bytes)).toBe(true);
    expect(sign(null, base, ED25519_KEY).equals(Buffer.from(bytes))).toBe(true);
    expect(verify(null, Buffer.from(base.toString().replace("/foo", "/bar")), ED25519_PUBLIC_KEY, bytes)).toBe(false);
  });
});

describe("RFC 9421 signatures as a sender may write them", () => {
  const input = 'sig1=("@method" "@path");created=1;keyid="k"';

  it("reads several signatures in their order, whatever their labels, whitespace or parameter order", () => {
    const headers = new Headers({
      "signature-input": `proxy=("@authority");keyid="edge";created=5 ,   ${input}`,
      signature: "sig1=:AAEC:,  proxy=:AwQ=:",
    });
    const signatures = readMessageSignatures(headers);
    expect(signatures.map((s) => [s.label, [...s.params.keys()], [...(s.signature ?? [])]])).toEqual([
      ["proxy", ["keyid", "created"], [3, 4]],
      ["sig1", ["created", "keyid"], [0, 1, 2]],
    ]);
    const request = { method: "GET", url: new URL("https://gw.example/a?b=c"), headers };
    expect(signatureBase(request, signatures[0] as (typeof signatures)[0])).toBe(
      '"@authority": gw.example\n"@signature-params": ("@authority");keyid="edge";created=5',
    );
  });

  it("derives @target-uri, @scheme, @request-target, a repeated @query-param and a dictionary member", () => {
    const headers = new Headers({
      "signature-input":
        'a=("@target-uri" "@scheme" "@request-target" "@query-param";name="x" "example-dict";key="b");created=1',
      "example-dict": " a=1,    b=2;x=1;y=2, c=(a   b   c)",
    });
    const request = { method: "GET", url: new URL("https://gw.example:8443/p?x=1&x=a%20b"), headers };
    const [message] = readMessageSignatures(headers);
    expect(signatureBase(request, message as NonNullable<typeof message>).split("\n")).toEqual([
      '"@target-uri": https://gw.example:8443/p?x=1&x=a%20b',
      '"@scheme": https',
      '"@request-target": /p?x=1&x=a%20b',
      '"@query-param";name="x": 1',
      '"@query-param";name="x": a%20b',
      '"example-dict";key="b": 2;x=1;y=2',
      '"@signature-params": ("@target-uri" "@scheme" "@request-target" "@query-param";name="x" "example-dict";key="b");created=1',
    ]);
  });

  it.each([
    [
      "a Signature-Input that is not a dictionary",
      { "signature-input": "sig1=(" },
      /not a structured-field dictionary/,
    ],
    ["a member that is not an inner list", { "signature-input": 'sig1="@method"' }, /not an inner list/],
    ["a Signature that is not a byte sequence", { "signature-input": input, signature: 'sig1="abc"' }, /byte sequence/],
    ["a component covered twice", { "signature-input": 'sig1=("@path" "@path");created=1' }, /twice/],
  ])("refuses %s", (_name, headers, message) => {
    expect(() => readMessageSignatures(new Headers(headers))).toThrow(message);
  });

  it.each([
    ["an absent header", 'a=("x-missing");created=1', /does not carry/],
    ["an uppercase field name", 'a=("Date");created=1', /lowercase/],
    ["a response-only component", 'a=("@status");created=1', /not a derived component/],
    ["@signature-params itself", 'a=("@signature-params");created=1', /cannot be a covered component/],
    ["an unsupported component parameter", 'a=("date";bs);created=1', /parameter bs/],
    ["an absent query parameter", 'a=("@query-param";name="y");created=1', /lacks/],
    [
      "a dictionary member of a field that is no dictionary",
      'a=("date";key="z");created=1',
      /is not a structured-field dictionary/,
    ],
    ["a missing dictionary member", 'a=("example-dict";key="z");created=1', /member z of example-dict, which it lacks/],
  ])("refuses to build a base over %s", (_name, signatureInput, message) => {
    const headers = new Headers({
      "signature-input": signatureInput,
      date: "Tue, 20 Apr 2021 02:07:55 GMT",
      "example-dict": "a=1",
    });
    const request = { method: "GET", url: new URL("https://gw.example/p?x=1"), headers };
    const [signature] = readMessageSignatures(headers);
    let thrown: unknown;
    try {
      signatureBase(request, signature as NonNullable<typeof signature>);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AuthenticationError);
    expect((thrown as AuthenticationError).message).toMatch(message);
  });
});
