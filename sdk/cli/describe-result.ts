import type { SluiceClient } from "../client.js";
import { count, measured, table } from "./format.js";

export type Released = Awaited<ReturnType<SluiceClient["runJob"]>>["result"];

/** A released result as a person reads it: one value, or a table of its cells, in the measure's unit. */
export function describeResult(shape: string, result: Released, measure?: string): string {
  const noise =
    result.noise?.mechanism === "discrete-laplace"
      ? `noise: discrete Laplace, ε ${result.noise.epsilon}, one draw from each party`
      : "noise: none (the rules ask none for these fields)";
  const withheld = "withheld (fewer rows than k)";
  const counted = shape === "count" || shape === "histogram";
  const [only] = result.cells;
  const rows =
    result.cells.length === 1 && only && !only.group && !only.bin
      ? [
          only.suppressed
            ? `${shape}: ${withheld}`
            : `${shape} = ${counted ? count(only.count) : measured(result.value ?? only.value, measure)}${counted ? "" : `  (${count(only.count)} rows)`}`,
        ]
      : [
          table(
            ["group", "rows", ...(counted ? [] : [shape])],
            result.cells.map((cell) => {
              const bin = cell.bin ? `[${cell.bin.from ?? "−∞"}, ${cell.bin.to ?? "∞"})` : "";
              const label = [cell.group, bin].filter(Boolean).join(" ");
              if (cell.suppressed) return [label, withheld];
              return [label, count(cell.count), ...(counted ? [] : [measured(cell.value, measure)])];
            }),
            [1, 2],
          ),
        ];
  return [
    ...rows,
    noise,
    `k: ${(result as { minGroupSize?: number }).minGroupSize ?? "?"}; ${count(result.suppressedCells)} cell(s) withheld`,
  ].join("\n");
}
