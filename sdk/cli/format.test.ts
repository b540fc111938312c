import { describe, expect, it } from "vitest";
import { count, instant, measured, table, yuan } from "./format.js";

describe("the CLI's numbers, amounts, times and tables", () => {
  it("writes counts with separators and fen as yuan, exactly", () => {
    expect(count(1_234_567)).toBe("1,234,567");
    expect(count(0)).toBe("0");
    expect(yuan(123_456)).toBe("1,234.56 元");
    expect(yuan(2n ** 60n)).toBe("11,529,215,046,068,469.76 元");
  });

  it("writes a released value in its field's unit, and a withheld one as a dash", () => {
    expect(measured(1_234_567, "ds_tax.tax_paid_fen")).toBe("12,345.67 元");
    expect(measured(1_234.6, "tax_paid_fen")).toBe("12.35 元");
    expect(measured(48_213, "insured_employees")).toBe("48,213");
    expect(measured(12.345, "insured_employees")).toBe("12.35");
    expect(measured(null, "tax_paid_fen")).toBe("—");
    expect(measured("123456789012345678", "tax_paid_fen")).toBe("1,234,567,890,123,456.78 元");
    expect(measured("123456789012345678", "employees")).toBe("123,456,789,012,345,678");
    expect(measured("1234.5", "tax_paid_fen")).toBe("12.35 元");
  });

  it("writes instants in the reader's zone, China Standard Time unless told", () => {
    expect(instant("2026-12-04T01:30:00.000Z")).toBe("2026-12-04 09:30 (Asia/Shanghai)");
    expect(instant("2026-12-31T20:00:00.000Z")).toBe("2027-01-01 04:00 (Asia/Shanghai)");
    expect(instant("2026-12-04T01:30:00.000Z", "UTC")).toBe("2026-12-04 01:30 (UTC)");
    expect(instant(null)).toBe("—");
  });

  it("lines columns up by their width on a terminal, Chinese counted double, numbers to the right", () => {
    const text = table(
      ["district", "count", "mean"],
      [
        ["杭州市上城区", "1,204", "3.50 元"],
        ["330105", "87", "12,000.00 元"],
      ],
      [1, 2],
    );
    expect(text.split("\n")).toEqual([
      "district      count          mean",
      "────────────  ─────  ────────────",
      "杭州市上城区  1,204       3.50 元",
      "330105           87  12,000.00 元",
    ]);
  });
});
