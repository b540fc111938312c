import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outputScaleFor } from "../../compute/he/scoring-model.js";
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
import { jobs, usageRecords } from "../../store/index.js";
import { testDatabases } from "../support/databases.js";
import { demoRows, TAX } from "../support/demo-rows.js";
import { scoringScenario } from "../support/scoring.js";
import { testDirectory } from "../support/test-directory.js";
import { startWorld, type World } from "../support/world.js";

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "sdk", "bin", "sluice.mjs");
const run = promisify(execFile);
const [{ open }] = testDatabases() as [ReturnType<typeof testDatabases>[number]];

// The bank states the largest score it expects, so the SDK scales the model to use CKKS's whole range.
const linear: ScoringModel = {
  // Headcounts are level 1 (public); a level-2 feature such as wages_fen would need noise (ε > 0).
  features: ["employees"],
  weights: [0.02],
  bias: -1.5,
  maxAbsScore: 100,
};
const logistic: ScoringModel = { ...linear, polynomial: [0.5, 0.197, -0.004], maxAbsScore: 20 };

describe("encrypted scoring at the tax bureau's node: the bank's model stays secret, only the bank reads scores", () => {
  let world: World;
  let keys: HeKeyFile;
  let keysId: string;
  let scenarioId: string;
  let rows: Record<string, string>[];

  beforeAll(async () => {
    world = await startWorld(await open());
    keys = await generateHeKeys("ckks-8192", { relinKeys: true });
    keysId = (await world.client(world.operator).registerHeKeys(keys)).id;
    scenarioId = await scoringScenario(world);
    rows = demoRows(world.gw.dataDir, TAX.owner, TAX.dataset);
  }, 120_000);
  afterAll(async () => {
    await world?.stop();
  });

  const score = async (model: ScoringModel, ids: string[], extra: Record<string, unknown> = {}) =>
    world.client(world.operator).scoreRecords({
      scenarioId,
      heKeysId: keysId,
      datasetId: TAX.dataset,
      idField: "uscc",
      features: model.features,
      ids,
      model: await encryptScoringModel(keys, model),
      ...extra,
    });

  it.each([
    ["a linear model", linear],
    ["a degree-2 logistic approximation", logistic],
  ])("scores %s exactly as the plaintext would, and names the ids the bureau does not hold", async (_name, model) => {
    const applicants = [...rows.slice(0, 300).map((r) => r.uscc as string), "91330100MA00000000", "NOT-A-TAXPAYER"];
    const job = await score(model, applicants);
    expect(job.status).toBe("succeeded");
    const { scores, missing } = await decryptScoringResult(job.result, keys);
    expect(missing).toEqual(["91330100MA00000000", "NOT-A-TAXPAYER"]);
    expect(scores.map((s) => s.id)).toEqual(applicants.slice(0, 300));
    for (const [i, { score: value }] of scores.entries()) {
      const row = rows[i] as Record<string, string>;
      const features = [Number(row.employees)];
      const expected = plainScore(model, features);
      // CKKS's error grows with the features (each coefficient's encryption noise times x_j) and
      // shrinks with the model's output scale (compute/README.md, "Precision").
      const z = plainScore(linear, features);
      const size = features.reduce((sum, x) => sum + Math.abs(x), 0);
      const scale = outputScaleFor(model.maxAbsScore);
      // A floor of ~1.4·10^-6 (measured with one feature of a few tens) however small the features.
      const error = 2e-6 + 2 ** -29 * size;
      const bound = model.polynomial
        ? (error * (1 + Math.abs(z))) / 2 ** Math.floor(Math.log2(scale) / 2)
        : error / scale;
      expect(Math.abs(value - expected)).toBeLessThan(bound);
    }
  });

  it("meters the job like any other, and never lets the secret key or a model coefficient in the clear reach the platform", async () => {
    const job = await score(
      linear,
      rows.slice(0, 5).map((r) => r.uscc as string),
    );
    const db = world.gw.database.db;
    const [record] = await db.select().from(usageRecords).where(eq(usageRecords.jobId, job.jobId));
    expect(record?.record).toMatchObject({
      jobId: job.jobId,
      computeMode: "he",
      queryShape: "he-score",
      feeFen: 2_000,
    });
    const stored = JSON.stringify(await db.select().from(jobs).where(eq(jobs.operatorId, world.operator.id)));
    const logs = world.logLines.join("\n");
    for (const place of [stored, JSON.stringify(record), logs]) {
      for (const offset of [0, 5_000, 20_000]) expect(place).not.toContain(keys.secretKey.slice(offset, offset + 48));
      // The model in clear, as the bank's own code holds it ("[0.02,2e-9]"), never leaves its machine.
      expect(place).not.toContain(JSON.stringify(linear.weights));
    }
  });

  it("scores from the command line: the model is encrypted and the scores decrypted on the bank's machine", async () => {
    const dir = testDirectory("sluice-score-");
    const file = (name: string, content: string) => {
      writeFileSync(path.join(dir, name), content);
      return path.join(dir, name);
    };
    const keyFile = file("bank.key.json", JSON.stringify(world.operator));
    const heKeys = path.join(dir, "bank.he.json");
    writeHeKeyFile(heKeys, keys);
    const ids = rows.slice(0, 20).map((r) => r.uscc as string);
    const { stdout, stderr } = await run(process.execPath, [
      bin,
      "score",
      "--url",
      world.url,
      "--key",
      keyFile,
      "--scenario",
      scenarioId,
      "--dataset",
      TAX.dataset,
      "--id-field",
      "uscc",
      "--he-keys",
      heKeys,
      "--model",
      file("model.json", JSON.stringify(linear)),
      "--ids",
      file("ids.txt", `# consenting applicants\n${ids.join("\n")}\nNOT-HELD\n`),
    ]);
    expect(stderr).toMatch(/scoring 21 ids/);
    const lines = stdout.trim().split("\n");
    expect(lines[0]).toBe("id,score");
    expect(lines.slice(1, 21).map((l) => l.split(",")[0])).toEqual(ids);
    const first = Number(lines[1]?.split(",")[1]);
    expect(first).toBeCloseTo(plainScore(linear, [Number(rows[0]?.employees)]), 3);
    expect(stdout).toMatch(/# 20 scored, 1 not held by the owner: NOT-HELD/);
  });

  it("refuses what the scenario, the rules or the keys do not allow, before anything is charged", async () => {
    const fail = (promise: Promise<unknown>) =>
      promise.then(
        () => ({ status: 0, type: "" }),
        (e: SluiceApiError) => ({ status: e.status, type: String(e.problem?.type ?? "") }),
      );
    const ids = rows.slice(0, 3).map((r) => r.uscc as string);
    const before = await world.client(world.operator).getScenario(scenarioId);
    // A feature the scenario does not list is refused by the authorisation.
    const outside = { ...linear, features: ["employees", "industry"], weights: [0.02, 1] };
    expect(await fail(score(outside, ids))).toMatchObject({ status: 403, type: expect.stringMatching(/denied/) });
    // Tax paid is level 3: the rules ask noise (ε > 0) for it.
    const level3 = { ...linear, features: ["employees", "tax_paid_fen"], weights: [0.02, 1e-9] };
    expect(await fail(score(level3, ids))).toMatchObject({ status: 403, type: expect.stringMatching(/denied/) });
    // A model weighing more features than named.
    const twoWeights = { ...linear, features: ["employees", "wages_fen"], weights: [0.02, 2e-9] };
    expect(await fail(score(twoWeights, ids, { features: ["employees"] }))).toMatchObject({
      status: 422,
      type: expect.stringMatching(/ciphertext-invalid/),
    });
    // A quadratic model needs relinearisation keys; BFV keys do not score.
    const noRelin = await generateHeKeys("ckks-8192");
    const noRelinId = (await world.client(world.operator).registerHeKeys(noRelin)).id;
    expect(
      await fail(
        world.client(world.operator).scoreRecords({
          scenarioId,
          heKeysId: noRelinId,
          datasetId: TAX.dataset,
          idField: "uscc",
          features: logistic.features,
          ids,
          model: await encryptScoringModel(noRelin, logistic),
        }),
      ),
    ).toMatchObject({ status: 422, type: expect.stringMatching(/not-executable/) });
    const bfv = await generateHeKeys("bfv-8192");
    const bfvId = (await world.client(world.operator).registerHeKeys(bfv)).id;
    expect(await fail(score(linear, ids, { heKeysId: bfvId }))).toMatchObject({ status: 422 });
    // A tampered coefficient header.
    const model = await encryptScoringModel(keys, linear);
    const tampered =
      model.kind === "linear" ? { ...model, form: { ...model.form, bias: `AAAA${model.form.bias.slice(4)}` } } : model;
    expect(await fail(score(linear, ids, { model: tampered }))).toMatchObject({ status: 422 });
    const after = await world.client(world.operator).getScenario(scenarioId);
    expect(after.queriesUsed).toBe(before.queriesUsed);
  });
});
