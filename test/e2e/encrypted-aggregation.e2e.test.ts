import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptJobResult, generateHeKeys, type HeKeyFile, type SluiceApiError } from "../../sdk/index.js";
import { jobs, usageRecords } from "../../store/index.js";
import { testDatabases } from "../support/databases.js";
import { demoRows, SOCIAL, TAX } from "../support/demo-rows.js";
import { startWorld, type World } from "../support/world.js";

// Headcounts are level 1 (public), so the rules ask no noise and the decrypted counts can be exact.
const HEADCOUNTS = ["ds_enterprise_tax.employees", "ds_social_insurance.insured_employees"];
const headcount = (row: Record<string, string>) => Number(row.employees ?? row.insured_employees);
const DISTRICT = ["ds_enterprise_tax.district", "ds_social_insurance.district"];
const [{ open }] = testDatabases() as [ReturnType<typeof testDatabases>[number]];

describe("encrypted aggregation: owners encrypt under the operator's key, only the operator decrypts", () => {
  let world: World;
  let keys: HeKeyFile;
  let keysId: string;
  let scenarioId: string;

  beforeAll(async () => {
    world = await startWorld(await open());
    keys = await generateHeKeys("bfv-8192");
    keysId = (await world.client(world.operator).registerHeKeys(keys)).id;
    scenarioId = await world.approvedScenario({
      fields: [...HEADCOUNTS, ...DISTRICT],
      computeModes: ["he"],
      queryShapes: ["count", "histogram", "sum"],
    });
  });
  afterAll(async () => {
    await world?.stop();
  });

  it("gives the operator a total it alone can read, exact where the rules ask no noise", async () => {
    const rows = [
      ...demoRows(world.gw.dataDir, TAX.owner, TAX.dataset),
      ...demoRows(world.gw.dataDir, SOCIAL.owner, SOCIAL.dataset),
    ];
    const districts = [...new Set(rows.map((r) => r.district as string))].sort();
    const job = await world.client(world.operator).runJob({
      scenarioId,
      computeMode: "he",
      heKeysId: keysId,
      queryShape: "histogram",
      fields: HEADCOUNTS,
      bins: [10, 100],
      groupBy: { field: "district", values: districts },
    });
    expect(job.status).toBe("succeeded");
    expect(job.result.encrypted).toMatchObject({ paramSet: "bfv-8192", fingerprint: keys.fingerprint });
    expect(job.result.cells).toEqual([]); // the gateway holds only the ciphertext

    const opened = await decryptJobResult(job.result as Parameters<typeof decryptJobResult>[0], keys);
    const expected = districts.flatMap((d) => {
      const heads = rows.filter((r) => r.district === d).map(headcount);
      return [
        heads.filter((w) => w < 10).length,
        heads.filter((w) => w >= 10 && w < 100).length,
        heads.filter((w) => w >= 100).length,
      ];
    });
    // Each owner withholds its own cells below k = 10; with no noise the rest add up exactly.
    const perOwner = (owner: typeof TAX | typeof SOCIAL, d: string, bin: (w: number) => boolean) =>
      demoRows(world.gw.dataDir, owner.owner, owner.dataset).filter((r) => r.district === d && bin(headcount(r)))
        .length;
    const bins = [(w: number) => w < 10, (w: number) => w >= 10 && w < 100, (w: number) => w >= 100];
    const withheld = districts.flatMap((d) =>
      bins.map((bin) => [TAX, SOCIAL].map((o) => perOwner(o, d, bin)).reduce((sum, n) => sum + (n >= 10 ? n : 0), 0)),
    );
    expect(opened.cells.map((c) => (c.suppressed ? 0 : c.count))).toEqual(withheld.map((n) => (n < 10 ? 0 : n)));
    // Where no owner had to withhold anything, the decrypted count is the plaintext count itself.
    const whole = districts.flatMap((d) => bins.map((bin) => [TAX, SOCIAL].every((o) => perOwner(o, d, bin) >= 10)));
    expect(whole.some(Boolean)).toBe(true);
    expect(opened.cells.filter((_, i) => whole[i]).map((c) => c.count)).toEqual(expected.filter((_, i) => whole[i]));
  });

  it("never lets the secret key, or a plaintext total, reach the gateway or a node", async () => {
    const db = world.gw.database.db;
    const stored = JSON.stringify(await db.select().from(jobs).where(eq(jobs.operatorId, world.operator.id)));
    const records = JSON.stringify(await db.select().from(usageRecords));
    const logs = world.logLines.join("\n");
    for (const place of [stored, records, logs]) {
      for (const offset of [0, 5_000, 20_000]) expect(place).not.toContain(keys.secretKey.slice(offset, offset + 48));
    }
  });

  it("refuses he without registered keys, with another operator's keys, or with CKKS keys", async () => {
    const run = (extra: Record<string, unknown>) =>
      world
        .client(world.operator)
        .runJob({ scenarioId, computeMode: "he", queryShape: "count", fields: HEADCOUNTS, ...extra })
        .then(
          () => 0,
          (e: SluiceApiError) => e.status,
        );
    expect(await run({})).toBe(422);
    expect(await run({ heKeysId: "hek_nothere" })).toBe(404);
    const ckks = await generateHeKeys("ckks-8192");
    const ckksId = (await world.client(world.operator).registerHeKeys(ckks)).id;
    expect(await run({ heKeysId: ckksId })).toBe(422);
  });
});
