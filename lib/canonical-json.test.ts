import { createRequire } from "node:module";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalHash, canonicalize } from "./canonical-json.js";

// The RFC's reference implementation, by its author: CommonJS exporting the function itself (its
// typings describe an ES default export).
const referenceCanonicalize = createRequire(import.meta.url)("canonicalize") as (value: unknown) => string;

describe("RFC 8785 canonical JSON", () => {
  it("serialises the RFC 8785 §3.2.2 example exactly", () => {
    const input = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
        '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    );
    expect(canonicalize(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it("sorts keys by UTF-16 code units as RFC 8785 §3.2.3 shows", () => {
    const input = {
      "€": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "😀": "Emoji: Grinning Face",
      "\u0080": "Control",
      ö: "Latin Small Letter O With Diaeresis",
    };
    const order = ["\r", "1", "\u0080", "ö", "€", "😀", "\ufb33"];
    const text = canonicalize(input);
    const positions = order.map((key) => text.indexOf(JSON.stringify(key)));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it("hashes equal values equally whatever their key order", () => {
    expect(canonicalHash({ a: 1, b: [2, 3] })).toBe(canonicalHash({ b: [2, 3], a: 1 }));
    expect(canonicalHash({ a: 1 })).not.toBe(canonicalHash({ a: 2 }));
  });

  it("writes what the RFC's reference implementation writes, for any JSON value", () => {
    const values = fc.oneof(
      fc.jsonValue(),
      fc.jsonValue({ stringUnit: "binary" }),
      fc.dictionary(
        fc.string({ unit: "binary" }),
        fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ unit: "binary" })),
      ),
    );
    fc.assert(
      fc.property(values, (value) => {
        expect(canonicalize(value)).toBe(referenceCanonicalize(value));
      }),
      { numRuns: 2_000 },
    );
  });

  it("leaves out properties whose value is undefined and writes undefined in an array as null, as JSON.stringify does", () => {
    expect(canonicalize({ b: undefined, a: [undefined, 1] })).toBe('{"a":[null,1]}');
  });

  it("refuses values JSON cannot hold", () => {
    expect(() => canonicalize(undefined)).toThrow(TypeError);
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, 1n, () => 1, Symbol("s")]) {
      expect(() => canonicalize({ value })).toThrow(TypeError);
    }
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => canonicalize(cycle)).toThrow(TypeError);
  });
});
