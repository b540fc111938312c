import { randomInt } from "node:crypto";

/** A buffer of fixed-width rows: points (32 bytes), ring shares (16 bytes). */
export interface Rows {
  bytes: Buffer;
  width: number;
}

/**
 * Shuffles aligned buffers in place with one permutation (Fisher–Yates with a CSPRNG): row i of
 * each stays beside row i of the others, and the order says nothing of the input's.
 */
export function shuffleRows(columns: readonly Rows[]): void {
  const count = columns[0] ? columns[0].bytes.length / columns[0].width : 0;
  if (columns.some((c) => c.bytes.length !== count * c.width)) throw new RangeError("the columns are not aligned");
  const scratch = Buffer.alloc(Math.max(0, ...columns.map((c) => c.width)));
  for (let i = count - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    if (j === i) continue;
    for (const { bytes, width } of columns) {
      bytes.copy(scratch, 0, i * width, (i + 1) * width);
      bytes.copy(bytes, i * width, j * width, (j + 1) * width);
      scratch.copy(bytes, j * width, 0, width);
    }
  }
}

/** Shuffles 32-byte points in place, so their order says nothing of the input's. */
export function shufflePoints(points: Buffer, width = 32): Buffer {
  shuffleRows([{ bytes: points, width }]);
  return points;
}
