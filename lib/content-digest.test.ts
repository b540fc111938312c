import { describe, expect, it } from "vitest";
import { contentDigest, digestsMatch, readContentDigest } from "./content-digest.js";

const HELLO = new TextEncoder().encode('{"hello": "world"}');
// RFC 9530 §2 and RFC 9421 Appendix B.2 publish these digests of {"hello": "world"}.
const HELLO_SHA256 = "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:";
const HELLO_SHA512 =
  "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:";

describe("RFC 9530 Content-Digest", () => {
  it("computes the published digests", () => {
    expect(contentDigest("")).toBe("sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:");
    expect(contentDigest(HELLO)).toBe(HELLO_SHA256);
  });

  it("checks every member it knows, in any order and spacing, and ignores algorithms it does not", () => {
    for (const header of [HELLO_SHA512, `${HELLO_SHA512},   ${HELLO_SHA256}`, `unixsum=:AAAA:, ${HELLO_SHA256}`]) {
      expect(digestsMatch(readContentDigest(header), HELLO)).toBe(true);
      expect(digestsMatch(readContentDigest(header), new TextEncoder().encode('{"hello": "World"}'))).toBe(false);
    }
  });

  it("refuses a header where one known member matches and another does not", () => {
    const wrong512 = HELLO_SHA512.replace("WZDP", "XZDP");
    expect(digestsMatch(readContentDigest(`${HELLO_SHA256}, ${wrong512}`), HELLO)).toBe(false);
  });

  it.each([
    ["no header", undefined, /is missing/],
    ["no structured dictionary", "sha-256=abc def", /not a structured-field dictionary/],
    ["only unknown algorithms", "md5=:AAAA:", /no member this platform can check/],
    ["a digest of the wrong length", "sha-256=:AAAA:", /32-byte/],
    ["a digest that is a string", 'sha-512="abc"', /64-byte/],
  ])("refuses %s as a digest mismatch", (_name, header, message) => {
    expect(() => readContentDigest(header)).toThrow(message);
  });
});
