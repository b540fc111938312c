import { afterAll, describe, expect, it } from "vitest";
import { PsiPool } from "../compute/psi/pool.js";
import { BENCH_DATASET, psiDataset, psiParties } from "../test/support/psi-parties.js";
import { privateSetIntersection } from "./psi.js";

// The SDK's chunked run against the owner node's responder and the helper, checked against the
// plaintext intersection, over sets larger than a chunk (16,384 points) so that pages, uploads,
// positions and the sorted return cross chunk boundaries. The gateway's HTTP relay is covered by
// test/e2e/psi*.e2e.test.ts.

const ids = (prefix: string, count: number, offset = 0) =>
  Array.from({ length: count }, (_, i) => `${prefix}${String(i + offset).padStart(8, "0")}`);
const shuffled = <T>(values: T[]) => values.sort(() => Math.random() - 0.5);

describe("private set intersection against the plaintext intersection", () => {
  const pool = new PsiPool(2);
  afterAll(async () => {
    await pool.close();
  });
  const run = (owner: string[], operator: readonly string[], extra: Record<string, unknown> = {}, values?: number[]) =>
    privateSetIntersection(
      psiParties(psiDataset(owner, values), pool).client(),
      { scenarioId: "scn_bench", datasetId: BENCH_DATASET, idField: "id", idKind: "text", ids: operator, ...extra },
      { pool },
    );

  it(
    "counts exactly the intersection of random sets with a known overlap, across chunks",
    { timeout: 120_000 },
    async () => {
      const shared = ids("S", 9_000);
      const operator = shuffled([...ids("A", 11_000), ...shared, shared[0] as string, shared[1] as string]);
      const owner = shuffled([...shared, ...ids("B", 12_000)]);
      const outcome = await run(owner, operator);
      expect(outcome).toMatchObject({ size: 9_000, ownerCount: 21_000, duplicates: 2 });
    },
  );

  it(
    "marks membership across the operator's chunks, each member once, in the order given",
    { timeout: 120_000 },
    async () => {
      const given = Array.from({ length: 20_000 }, (_, i) => (i % 97 === 5 ? `S${i}` : `X${i}`));
      const members = given.filter((id) => id.startsWith("S"));
      const operator = [...given, ...members.slice(0, 10).reverse(), "  "];
      const owner = shuffled([...members, ...ids("B", 300)]);
      const outcome = await run(owner, operator, { output: "membership" });
      expect(outcome.members).toEqual(members);
      expect(outcome.duplicates).toBe(10);
      expect(outcome.invalid).toEqual([{ index: operator.length - 1, value: "  ", reason: "empty" }]);
      expect(outcome.size).toBe(outcome.members?.length);
    },
  );

  it("sums the owner's column over entities on every page", { timeout: 120_000 }, async () => {
    const owner = ids("E", 20_000);
    const values = owner.map((_, i) => (i * 7) % 1_000);
    const picked = Array.from({ length: 300 }, (_, i) => i * 66 + 3);
    const outcome = await run(
      owner,
      [...picked.map((i) => owner[i] as string), "NOT-HERE"],
      { output: "sum", value: { field: "value", min: 0, max: 1_000 } },
      values,
    );
    expect(outcome).toMatchObject({ size: 300, sum: picked.reduce((sum, i) => sum + (values[i] as number), 0) });
  });

  it(
    "handles empty and disjoint sets, and duplicates in the owner's column count once",
    { timeout: 60_000 },
    async () => {
      // A count of 0 is below the parties' k of 1: withheld, as any count below k.
      const nothing = { size: null, suppressed: true };
      expect(await run(["A"], [])).toMatchObject(nothing);
      expect(await run([], ["A"])).toMatchObject({ ...nothing, ownerCount: 0 });
      expect(await run(["C"], ["A", "B"])).toMatchObject(nothing);
      const repeated = await run(["A", "A", "B", "C"], ["A", "B", "Z"]);
      expect(repeated).toMatchObject({ size: 2, ownerCount: 3 });
    },
  );
});
