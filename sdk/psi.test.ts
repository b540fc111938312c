import { afterAll, describe, expect, it } from "vitest";
import type { Column, LocalDataset } from "../compute/node/datastore.js";
import { PsiPool } from "../compute/psi/pool.js";
import { BENCH_DATASET, psiParties } from "../test/support/psi-parties.js";
import { privateSetIntersection } from "./psi.js";

// The SDK's chunked run against the owner node's responder and the helper, over sets larger than a
// chunk (65,536 points), so pages, uploads, positions and the sorted return cross chunk boundaries.
// The gateway's HTTP relay is covered by test/e2e/psi*.e2e.test.ts.

const OWNER = 70_000;
const ownerIds = Array.from({ length: OWNER }, (_, i) => `E${i}`);
const values = Float64Array.from({ length: OWNER }, (_, i) => (i * 7) % 1_000);
const dataset: LocalDataset = {
  id: BENCH_DATASET,
  rowCount: OWNER,
  columns: new Map<string, Column>([
    [
      "id",
      {
        spec: { name: "id", type: "string", level: 1 },
        codes: Int32Array.from({ length: OWNER }, (_, i) => i),
        dictionary: ownerIds,
      },
    ],
    ["value", { spec: { name: "value", type: "integer", level: 1 }, values }],
  ]),
};

describe("private set intersection in chunks, over sets larger than a chunk", () => {
  const pool = new PsiPool(2);
  const parties = psiParties(dataset, pool);
  afterAll(async () => {
    await pool.close();
  });
  const run = (ids: string[], extra: Record<string, unknown> = {}) =>
    privateSetIntersection(
      parties.client(),
      { scenarioId: "scn_bench", datasetId: BENCH_DATASET, idField: "id", idKind: "text", ids, ...extra },
      { pool },
    );

  it("counts the intersection of 70,000 × 70,000 ids exactly", { timeout: 120_000 }, async () => {
    // Shared: E0…E39999 (with a few repeated); the rest are the operator's own.
    const ids = [...ownerIds.slice(0, 40_000), ...Array.from({ length: 30_000 }, (_, i) => `X${i}`), "E5", "E39999"];
    const outcome = await run(ids);
    expect(outcome).toMatchObject({ size: 40_000, ownerCount: OWNER, duplicates: 2 });
  });

  it("tells membership at the right positions across the operator's chunks", { timeout: 120_000 }, async () => {
    const ids = Array.from({ length: 68_000 }, (_, i) => (i % 1_000 === 999 ? `E${i}` : `Y${i}`));
    const outcome = await run(ids, { output: "membership" });
    expect(outcome.members).toEqual(ids.filter((id) => id.startsWith("E")));
  });

  it("sums the owner's column over entities on every page", { timeout: 120_000 }, async () => {
    const picked = Array.from({ length: 700 }, (_, i) => i * 100 + 3);
    const outcome = await run(
      picked.map((i) => `E${i}`),
      { output: "sum", value: { field: "value", min: 0, max: 1_000 } },
    );
    expect(outcome).toMatchObject({ size: 700, sum: picked.reduce((sum, i) => sum + ((i * 7) % 1_000), 0) });
  });
});
