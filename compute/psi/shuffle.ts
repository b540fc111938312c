import { randomInt } from "node:crypto";

/** Shuffles 32-byte points in place (Fisher–Yates with a CSPRNG), so their order says nothing of the input's. */
export function shufflePoints(points: Buffer, width = 32): Buffer {
  const count = points.length / width;
  const scratch = Buffer.alloc(width);
  for (let i = count - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    if (j === i) continue;
    points.copy(scratch, 0, i * width, (i + 1) * width);
    points.copy(points, i * width, j * width, (j + 1) * width);
    scratch.copy(points, j * width);
  }
  return points;
}
