import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  decryptScoringResult,
  encryptScoringModel,
  generateHeKeys,
  type HeKeyFile,
  plainScore,
  type ScoringModel,
  type SluiceApiError,
  writeHeKeyFile,
} from "../../sdk/index.js";
import { jobs, scenarios, usageRecords } from "../../store/index.js";
import { testDatabases } from "../support/databases.js";
import { demoRows, SOCIAL, TAX } from "../support/demo-rows.js";
import { testDirectory } from "../support/test-directory.js";
import { startWorld, type World } from "../support/world.js";

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "sdk", "bin", "sluice.mjs");
const run = promisify(execFile);
const [{ open }] = testDatabases() as [ReturnType<typeof testDatabases>[number]];

// Headcounts at both departments are level 1: the scores need no noise (ε = 0).
const model: ScoringModel = {
  features: ["employees", "insured_employees"],
  weights: [0.02, 0.03],
  bias: -1.5,
  maxAbsScore: 100,
};
const parts = [
  { datasetId: TAX.dataset, idField: "uscc", features: ["employees"] },
  { datasetId: SOCIAL.dataset, idField: "uscc", features: ["insured_employees"] },
];
const FIELDS = [
  `${TAX.dataset}.uscc`,
  `${TAX.dataset}.employees`,
  `${SOCIAL.dataset}.uscc`,
  `${SOCIAL.dataset}.insured_employees`,
];

describe("a vertical score: one bank model over the tax bureau's and the social insurance fund's features", () => {
  let world: World;
  let keys: HeKeyFile;
  let keysId: string;
  let scenarioId: string;
  let tax: Record<string, string>[];
  let social: Map<string, Record<string, string>>;

  beforeAll(async () => {
    world = await startWorld(await open());
    keys = await generateHeKeys("ckks-8192");
    keysId = (await world.client(world.operator).registerHeKeys(keys)).id;
    scenarioId = await world.approvedScenario({
      purpose: "Score consenting loan applicants on their tax and social insurance headcounts",
      fields: FIELDS,
      computeModes: ["he"],
      queryShapes: ["he-score"],
      minGroupSize: 20,
      epsilonPerQuery: 2,
      epsilonBudget: 100,
      queryQuota: 100,
      pricePerQueryFen: 3_000,
    });
    tax = demoRows(world.gw.dataDir, TAX.owner, TAX.dataset);
    social = new Map(demoRows(world.gw.dataDir, SOCIAL.owner, SOCIAL.dataset).map((r) => [r.uscc as string, r]));
  }, 120_000);
  afterAll(async () => {
    await world?.stop();
  });

  const scoreVertically = async (ids: string[], extra: Record<string, unknown> = {}) =>
    world.client(world.operator).scoreVertically({
      scenarioId,
      heKeysId: keysId,
      parts,
      ids,
      model: await encryptScoringModel(keys, model),
      ...extra,
    });
  const fail = (promise: Promise<unknown>) =>
    promise.then(
      () => ({ status: 0, type: "", detail: "" }),
      (e: SluiceApiError) => ({
        status: e.status,
        type: String(e.problem?.type ?? ""),
        detail: String(e.problem?.detail ?? ""),
      }),
    );

  it("scores the applicants both departments hold as the plaintext model would, names the rest, meters both owners", async () => {
    const onlyTax = tax
      .slice(120)
      .filter((r) => !social.has(r.uscc as string))
      .slice(0, 3);
    expect(onlyTax.length).toBe(3);
    const applicants = [
      ...tax.slice(0, 120).map((r) => r.uscc as string),
      ...onlyTax.map((r) => r.uscc as string),
      "NOT-AN-ENTERPRISE",
    ];
    const job = await scoreVertically(applicants);
    expect(job.status).toBe("succeeded");
    const { scores, missing } = await decryptScoringResult(job.result, keys);
    const both = applicants.filter((id) => social.has(id) && tax.some((r) => r.uscc === id));
    expect(scores.map((s) => s.id)).toEqual(both);
    expect(missing).toEqual(applicants.filter((id) => !both.includes(id)));
    for (const { id, score } of scores) {
      const features = [Number(tax.find((r) => r.uscc === id)?.employees), Number(social.get(id)?.insured_employees)];
      expect(Math.abs(score - plainScore(model, features))).toBeLessThan(1e-4);
    }
    const [record] = await world.gw.database.db.select().from(usageRecords).where(eq(usageRecords.jobId, job.jobId));
    expect(record?.record).toMatchObject({
      computeMode: "he",
      queryShape: "he-score",
      feeFen: 3_000,
      owners: expect.arrayContaining([
        expect.objectContaining({ datasetId: TAX.dataset, contributionUnits: 1 }),
        expect.objectContaining({ datasetId: SOCIAL.dataset, contributionUnits: 1 }),
      ]),
    });
    // Neither the secret key nor the model in clear reaches the platform's store or logs.
    const stored = JSON.stringify(await world.gw.database.db.select().from(jobs).where(eq(jobs.id, job.jobId)));
    for (const place of [stored, world.logLines.join("\n")]) {
      expect(place).not.toContain(keys.secretKey.slice(1_000, 1_048));
      expect(place).not.toContain(JSON.stringify(model.weights));
    }
  });

  it("scores from the command line when the model names its features dataset.field", async () => {
    const dir = testDirectory("sluice-vscore-");
    const file = (name: string, content: string) => {
      writeFileSync(path.join(dir, name), content);
      return path.join(dir, name);
    };
    const heKeys = path.join(dir, "bank.he.json");
    writeHeKeyFile(heKeys, keys);
    const ids = tax
      .filter((r) => social.has(r.uscc as string))
      .slice(0, 10)
      .map((r) => r.uscc as string);
    // The features in another order than the parts': the CLI groups them by dataset and reorders the weights.
    const cliModel = {
      features: [`${SOCIAL.dataset}.insured_employees`, `${TAX.dataset}.employees`],
      weights: [0.03, 0.02],
      bias: -1.5,
      maxAbsScore: 100,
    };
    const { stdout, stderr } = await run(process.execPath, [
      bin,
      "score",
      "--url",
      world.url,
      "--key",
      file("bank.key.json", JSON.stringify(world.operator)),
      "--scenario",
      scenarioId,
      "--id-field",
      "uscc",
      "--he-keys",
      heKeys,
      "--model",
      file("model.json", JSON.stringify(cliModel)),
      "--ids",
      file("ids.txt", `${ids.join("\n")}\nNOT-HELD\n`),
    ]);
    expect(stderr).toMatch(/scoring 11 ids at 2 owners' nodes/);
    const lines = stdout.trim().split("\n");
    expect(lines.slice(1, 11).map((l) => l.split(",")[0])).toEqual(ids);
    const first = tax.find((r) => r.uscc === ids[0]) as Record<string, string>;
    expect(Number(lines[1]?.split(",")[1])).toBeCloseTo(
      plainScore(model, [Number(first.employees), Number(social.get(ids[0] as string)?.insured_employees)]),
      3,
    );
    expect(stdout).toMatch(/# 10 scored, 1 not held by every owner: NOT-HELD/);
  });

  it("refuses what the scenario or the method does not allow, before anything is charged", async () => {
    const ids = tax.slice(0, 3).map((r) => r.uscc as string);
    const [before] = await world.gw.database.db.select().from(scenarios).where(eq(scenarios.id, scenarioId));
    // A feature outside the scenario: the authorisation denies it.
    const outside = [parts[0], { ...parts[1], features: ["wages_fen"] }];
    expect(await fail(scoreVertically(ids, { parts: outside }))).toMatchObject({ status: 403 });
    // A quadratic model needs each record's whole linear score, which no owner holds.
    const withRelin = await generateHeKeys("ckks-8192", { relinKeys: true });
    const relinId = (await world.client(world.operator).registerHeKeys(withRelin)).id;
    const quadratic = await encryptScoringModel(withRelin, {
      ...model,
      polynomial: [0.5, 0.2, -0.004],
      maxAbsScore: 20,
    });
    expect(await fail(scoreVertically(ids, { heKeysId: relinId, model: quadratic }))).toMatchObject({
      status: 422,
      detail: expect.stringMatching(/linear model/),
    });
    // A model with more weights than the parts name.
    const three = await encryptScoringModel(keys, { ...model, features: ["a", "b", "c"], weights: [1, 2, 3] });
    expect(await fail(scoreVertically(ids, { model: three }))).toMatchObject({ status: 422 });
    // One dataset named twice.
    expect(await fail(scoreVertically(ids, { parts: [parts[0], parts[0]] }))).toMatchObject({ status: 400 });
    const [after] = await world.gw.database.db.select().from(scenarios).where(eq(scenarios.id, scenarioId));
    expect(after?.queriesUsed).toBe(before?.queriesUsed);
  });

  it("fails cleanly and charges nothing when an owner's node is killed in the middle of the job", async () => {
    const node = world.nodes.find((n) => n.nodeId === `node_${SOCIAL.owner}`);
    const pid = node?.child.pid as number;
    const [before] = await world.gw.database.db.select().from(scenarios).where(eq(scenarios.id, scenarioId));
    // Paused, the fund's node accepts the connection and never answers; the tax bureau's answers.
    process.kill(pid, "SIGSTOP");
    const pending = fail(
      scoreVertically(
        tax.slice(0, 50).map((r) => r.uscc as string),
        { jobId: "job_killed_vertical" },
      ),
    );
    const deadline = Date.now() + 20_000;
    while (!world.logLines.some((l) => l.includes("job_killed_vertical") && l.includes("holdings answered"))) {
      if (Date.now() > deadline) throw new Error("the tax bureau's node never answered the holdings");
      await new Promise((r) => setTimeout(r, 20));
    }
    process.kill(pid, "SIGKILL");
    const outcome = await pending;
    expect(outcome.status).toBeGreaterThanOrEqual(500);
    const [job] = await world.gw.database.db.select().from(jobs).where(eq(jobs.id, "job_killed_vertical"));
    expect(job?.status).toBe("failed");
    const records = await world.gw.database.db
      .select()
      .from(usageRecords)
      .where(eq(usageRecords.jobId, "job_killed_vertical"));
    expect(records).toEqual([]);
    const [after] = await world.gw.database.db.select().from(scenarios).where(eq(scenarios.id, scenarioId));
    expect(after?.queriesUsed).toBe(before?.queriesUsed);
    expect(after?.epsilonSpentMicro).toBe(before?.epsilonSpentMicro);
  }, 60_000);
});
