import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SluiceApiError } from "../../sdk/index.js";
import { jobs } from "../../store/index.js";
import { testDatabases } from "../support/databases.js";
import { startWorld, WAGE_BOUNDS, WAGE_SUM_EPSILON, type World } from "../support/world.js";

// Wages are level 2: every query here asks for noise, so that what is refused is the query itself.
const NOISY_WAGE_SUM = { queryShape: "sum", epsilon: WAGE_SUM_EPSILON, bounds: WAGE_BOUNDS } as const;

const [{ open }] = testDatabases() as [ReturnType<typeof testDatabases>[number]];

// A query that cannot run as asked is refused at the gateway, from the catalogue's field types,
// before anything is reserved or any node computes: no job, no quota, no usage record.
describe("queries that cannot run are refused before they are charged", () => {
  let world: World;
  let scenarioId: string;
  const tax = "ds_enterprise_tax";
  const social = "ds_social_insurance";

  beforeAll(async () => {
    world = await startWorld(await open());
    scenarioId = await world.approvedScenario({
      fields: [...world.fields, `${tax}.district`, `${social}.district`],
      computeModes: ["mpc", "he"],
      queryShapes: ["sum", "count", "mean", "histogram"],
    });
  }, 120_000);
  afterAll(async () => {
    await world?.stop();
  });

  // The world's fields exist only once it has started; a table row names the first by this marker.
  const resolveFields = (body: Record<string, unknown>) =>
    body.fields === undefined ? body : { ...body, fields: [world.fields[0]] };

  const refusal = async (body: Record<string, unknown>, path = "/jobs") => {
    const client = world.client(world.operator);
    const before = await client.getScenario(scenarioId);
    const jobsBefore = (await world.gw.database.db.select().from(jobs)).length;
    const outcome = await client
      .request("POST", path, { scenarioId, ...NOISY_WAGE_SUM, fields: world.fields, ...body })
      .then(
        () => ({ status: 200, detail: "" }),
        (e: SluiceApiError) => ({ status: e.status, detail: e.message }),
      );
    const after = await client.getScenario(scenarioId);
    expect(after.queriesUsed).toBe(before.queriesUsed);
    expect(after.epsilonSpent).toBe(before.epsilonSpent);
    expect((await world.gw.database.db.select().from(jobs)).length).toBe(jobsBefore);
    return outcome;
  };

  it.each([
    [
      "a numeric field compared with text",
      { filters: [{ field: "wages_fen", op: ">=", value: "lots" }] },
      /wages_fen is an integer; compare it with a number, not the text "lots"/,
    ],
    [
      "a text field ordered",
      { filters: [{ field: "district", op: "<", value: "330105" }] },
      /district is text \(categorical\): it takes =, != and in, not </,
    ],
    [
      "a fraction against a whole-number field",
      { filters: [{ field: "wages_fen", op: "<=", value: 1.5 }] },
      /holds whole numbers; compare it with a whole number, not 1.5/,
    ],
    [
      "a range upside down",
      { filters: [{ field: "wages_fen", op: "between", min: 9, max: 1 }] },
      /the lower bound comes first/,
    ],
    [
      "a group-by over a number",
      { groupBy: { field: "wages_fen", values: ["1"] } },
      /is numeric; group by a text \(categorical\) field/,
    ],
    [
      "a sum of text",
      { fields: [`${tax}.district`, `${social}.district`] },
      /district is text; sum needs an integer or decimal field/,
    ],
    ["fractional bounds on a whole-number field", { bounds: { min: 0, max: 0.5 } }, /holds whole numbers/],
  ])("refuses %s with 422 and the fix", async (_what, body, message) => {
    for (const path of ["/jobs", "/jobs/explain"]) {
      const outcome = await refusal(body, path);
      expect(outcome.status).toBe(422);
      expect(outcome.detail).toMatch(message);
    }
  });

  it.each([
    ["bounds beyond 2^48", { bounds: { min: 0, max: 2 ** 48 + 1 } }, /bounds.max: at most 2\^48/],
    [
      "a filter constant beyond -2^48",
      { filters: [{ field: "wages_fen", op: ">", value: -(2 ** 49) }] },
      /at least -2\^48/,
    ],
    [
      "a NUL character in a value",
      { filters: [{ field: "district", op: "=", value: "3301\u000002" }] },
      /filters.0.value: text may not hold a NUL character/,
    ],
    [
      "a lone surrogate in a value",
      { filters: [{ field: "district", op: "=", value: "330102\ud800" }] },
      /filters.0.value: .*unpaired surrogate/,
    ],
    ["a lone surrogate in a group", { groupBy: { field: "district", values: ["\udc00"] } }, /groupBy.values.0/],
    ["groups without their field", { groupBy: { values: ["330102"] } }, /groupBy.field/],
  ])("refuses %s with 400 naming where", async (_what, body, message) => {
    for (const path of ["/jobs", "/jobs/explain"]) {
      const outcome = await refusal(body, path);
      expect(outcome.status).toBe(400);
      expect(outcome.detail).toMatch(message);
    }
  });

  it("refuses a field the scenario does not name by its tier, before the catalogue is consulted", async () => {
    for (const path of ["/jobs", "/jobs/explain"]) {
      const outcome = await refusal({ filters: [{ field: "colour", op: "=", value: "red" }] }, path);
      if (path === "/jobs") expect(outcome.status).toBe(403);
      else expect(outcome.status).toBe(200);
    }
  });

  it.each([
    ["a single-owner sum", { fields: ["first"] }, /at least two owner nodes/],
    [
      "a shape encryption does not add",
      { computeMode: "he", heKeysId: "hek_x", queryShape: "mean" },
      /not available by he/,
    ],
    ["encryption without keys", { computeMode: "he" }, /needs heKeysId/],
  ])("answers %s the same way at /jobs/explain and /jobs", async (_what, body, message) => {
    const explained = (await world.client(world.operator).request("POST", "/jobs/explain", {
      scenarioId,
      ...NOISY_WAGE_SUM,
      fields: world.fields,
      ...resolveFields(body),
    })) as { allowed: boolean; executable: boolean; notExecutableBecause?: string };
    expect(explained).toMatchObject({ allowed: true, executable: false });
    expect(explained.notExecutableBecause).toMatch(message);
    const outcome = await refusal(resolveFields(body));
    expect(outcome.status).toBe(422);
    expect(outcome.detail).toBe(explained.notExecutableBecause);
  });

  it("still runs the same query once it is put right, and charges it once", async () => {
    const client = world.client(world.operator);
    const before = await client.getScenario(scenarioId);
    const job = await client.runJob({
      scenarioId,
      ...NOISY_WAGE_SUM,
      fields: world.fields,
      filters: [{ field: "district", op: "in", values: ["330102", 330105] }],
    });
    expect(job.status).toBe("succeeded");
    expect((await client.getScenario(scenarioId)).queriesUsed).toBe(Number(before.queriesUsed) + 1);
  });
});
