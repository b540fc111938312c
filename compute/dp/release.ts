import { type AggregateQuery, measuresOf } from "../query/schema.js";

export interface ReleasedCell {
  group?: string;
  /** The histogram bin: [from, to), open at either end. */
  bin?: { from: number | null; to: number | null };
  /** The (noisy) number of rows in the cell; null when suppressed. */
  count: number | null;
  /** The (noisy) aggregate of the cell; null when suppressed or undefined (a mean of nothing). */
  value: number | null;
  suppressed: boolean;
}

export interface Release {
  aggregate: AggregateQuery["aggregate"];
  cells: ReleasedCell[];
  suppressedCells: number;
  /** The single cell's value for a query with no groups and no bins, as a string; null when suppressed. */
  value: string | null;
}

/**
 * Turns the reconstructed (already noisy) cells into what the operator receives. A cell whose
 * count is below k is suppressed, count and value alike; the decision is taken on the noisy count,
 * so it reveals nothing the noise does not already cover, and no total over all cells is released,
 * so a suppressed cell cannot be recovered by subtracting the others from it.
 */
export function releaseCells(
  query: AggregateQuery,
  vector: readonly bigint[],
  minGroupSize: number,
  valueScale: number,
): Release {
  const measures = measuresOf(query.aggregate);
  const bins = query.bins ? query.bins.length + 1 : 1;
  const groups = query.groupBy?.values ?? [undefined];
  const cells: ReleasedCell[] = [];
  let cellIndex = 0;
  for (const group of groups) {
    for (let bin = 0; bin < bins; bin++, cellIndex++) {
      const numbers = vector.slice(cellIndex * measures.length, (cellIndex + 1) * measures.length);
      const [count = 0n, sum = 0n, squares = 0n] = numbers;
      const suppressed = count < BigInt(minGroupSize);
      const cell: ReleasedCell = {
        ...(group !== undefined ? { group } : {}),
        ...(query.bins
          ? {
              bin: {
                from: bin === 0 ? null : (query.bins[bin - 1] as number),
                to: bin === bins - 1 ? null : (query.bins[bin] as number),
              },
            }
          : {}),
        count: suppressed ? null : Number(count),
        value: suppressed ? null : cellValue(query.aggregate, count, sum, squares, valueScale),
        suppressed,
      };
      cells.push(cell);
    }
  }
  const single = cells.length === 1 ? cells[0] : undefined;
  return {
    aggregate: query.aggregate,
    cells,
    suppressedCells: cells.filter((c) => c.suppressed).length,
    value: single && !single.suppressed ? singleValue(query.aggregate, vector, single, valueScale) : null,
  };
}

function cellValue(
  aggregate: AggregateQuery["aggregate"],
  count: bigint,
  sum: bigint,
  squares: bigint,
  scale: number,
): number | null {
  switch (aggregate) {
    case "count":
    case "histogram":
      return Number(count);
    case "sum":
      return Number(sum) / scale;
    case "mean":
      return count > 0n ? Number(sum) / Number(count) / scale : null;
    case "variance": {
      if (count <= 1n) return null;
      const n = Number(count);
      const mean = Number(sum) / n;
      return Math.max(0, Number(squares) / n - mean * mean) / (scale * scale);
    }
  }
}

// Exact integers stay exact in the string: a sum of hundredths is written with its two decimals.
function singleValue(
  aggregate: AggregateQuery["aggregate"],
  vector: readonly bigint[],
  cell: ReleasedCell,
  scale: number,
): string | null {
  if (aggregate === "sum") {
    const sum = vector[1] as bigint;
    if (scale === 1) return sum.toString();
    const negative = sum < 0n;
    const magnitude = negative ? -sum : sum;
    return `${negative ? "-" : ""}${magnitude / 100n}.${(magnitude % 100n).toString().padStart(2, "0")}`;
  }
  if (aggregate === "count" || aggregate === "histogram") return String(cell.count);
  return cell.value === null ? null : String(cell.value);
}
