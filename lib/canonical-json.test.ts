import { describe, expect, it } from "vitest";
import { canonicalHash, canonicalize } from "./canonical-json.js";

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

  it("refuses values JSON cannot hold", () => {
    expect(() => canonicalize(undefined)).toThrow(TypeError);
    expect(() => canonicalize(Number.NaN)).toThrow();
  });
});
