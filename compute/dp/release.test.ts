import { describe, expect, it } from "vitest";
import type { AggregateQuery } from "../query/schema.js";
import { releaseCells } from "./release.js";

describe("releasing reconstructed cells", () => {
  it("suppresses every cell whose count is below k, count and value alike, and releases no total", () => {
    const query: AggregateQuery = {
      aggregate: "sum",
      filters: [],
      groupBy: { field: "district", values: ["330102", "330105", "330106"] },
    };
    const released = releaseCells(query, [25n, 1_000n, 3n, 999n, 10n, 50n], 10, 1);
    expect(released.cells).toEqual([
      { group: "330102", count: 25, value: 1_000, suppressed: false },
      { group: "330105", count: null, value: null, suppressed: true },
      { group: "330106", count: 10, value: 50, suppressed: false },
    ]);
    expect(released.suppressedCells).toBe(1);
    expect(released.value).toBeNull();
    expect(JSON.stringify(released)).not.toContain("999");
  });

  it("suppresses the single cell of an ungrouped query too", () => {
    const released = releaseCells({ aggregate: "count", filters: [] }, [4n], 5, 1);
    expect(released).toMatchObject({ value: null, suppressedCells: 1, cells: [{ suppressed: true, count: null }] });
  });

  it("writes an exact sum as a string, with two decimals for hundredths", () => {
    expect(releaseCells({ aggregate: "sum", filters: [] }, [12n, 123_456_789_012_345_678n], 1, 1).value).toBe(
      "123456789012345678",
    );
    expect(releaseCells({ aggregate: "sum", filters: [] }, [12n, -12_345n], 1, 100).value).toBe("-123.45");
  });

  it("derives mean and variance from count, sum and sum of squares, in the field's unit", () => {
    // values 1.00, 2.00, 3.00 in hundredths: sum 600, squares 10000 + 40000 + 90000
    const mean = releaseCells({ aggregate: "mean", filters: [] }, [3n, 600n], 1, 100);
    expect(mean.cells[0]?.value).toBeCloseTo(2, 10);
    const variance = releaseCells({ aggregate: "variance", filters: [] }, [3n, 600n, 140_000n], 1, 100);
    expect(variance.cells[0]?.value).toBeCloseTo(2 / 3, 10);
    expect(releaseCells({ aggregate: "mean", filters: [] }, [0n, 0n], 0, 1).cells[0]?.value).toBeNull();
  });

  it("labels histogram bins with their open-ended edges", () => {
    const released = releaseCells({ aggregate: "histogram", filters: [], bins: [10, 20] }, [30n, 40n, 50n], 1, 1);
    expect(released.cells.map((c) => c.bin)).toEqual([
      { from: null, to: 10 },
      { from: 10, to: 20 },
      { from: 20, to: null },
    ]);
    expect(released.cells.map((c) => c.count)).toEqual([30, 40, 50]);
  });
});
