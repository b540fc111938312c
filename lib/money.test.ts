import { describe, expect, it } from "vitest";
import { yuanDigits } from "./money.js";

describe("fen as yuan", () => {
  it("is exact, separated in thousands, and signed", () => {
    expect(yuanDigits(0)).toBe("0.00");
    expect(yuanDigits(5)).toBe("0.05");
    expect(yuanDigits(-5)).toBe("-0.05");
    expect(yuanDigits(123_456_789)).toBe("1,234,567.89");
    expect(yuanDigits(100_000)).toBe("1,000.00");
    expect(yuanDigits(Number.MAX_SAFE_INTEGER)).toBe("90,071,992,547,409.91");
    expect(yuanDigits(2n ** 70n)).toBe("11,805,916,207,174,113,034.24");
  });

  it("refuses what is not a whole number of fen", () => {
    expect(() => yuanDigits(1.5)).toThrow(RangeError);
    expect(() => yuanDigits(Number.NaN)).toThrow(RangeError);
    expect(() => yuanDigits(2 ** 60)).toThrow(RangeError);
  });
});
