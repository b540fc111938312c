import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEMO_OPERATOR_ID, DEMO_REGULATOR_ID } from "../../gateway/demo.js";
import { type Platform, startPlatform } from "../../gateway/platform.js";
import { createLogger } from "../../lib/logger.js";
import { createClient } from "../../sdk/index.js";
import { noiseTolerance } from "../support/noise.js";
import { waitFor } from "../support/wait-for.js";
import { WAGE_BOUNDS } from "../support/world.js";

const fields = ["ds_enterprise_tax.wages_fen", "ds_social_insurance.wages_fen"];

describe("npm start's platform across a restart", () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "sluice-restart-"));
  const start = () =>
    startPlatform({
      dataDir,
      host: "127.0.0.1",
      port: 0,
      demo: true,
      anchorIntervalMs: 100,
      anchorMaxBatch: 256,
      logger: createLogger({ service: "gateway", level: "silent" }),
    });
  let running: Platform | undefined;

  afterAll(async () => {
    await running?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("keeps the database, the chain and the demo, and still proves records made before the restart", async () => {
    running = await start();
    const clients = (url: string) => ({
      bank: createClient({ url, keyFile: path.join(dataDir, "keys", `${DEMO_OPERATOR_ID}.key.json`) }),
      regulator: createClient({ url, keyFile: path.join(dataDir, "keys", `${DEMO_REGULATOR_ID}.key.json`) }),
    });
    const before = clients(running.url);
    expect(await before.bank.health()).toMatchObject({ status: "ok" });
    const listed = (await before.bank.listScenarios()).scenarios;
    const scenario = listed.find((s) => (s.computeModes as string[]).includes("mpc"));
    const wageSum = { scenarioId: scenario!.id, queryShape: "sum", fields, epsilon: 1, bounds: WAGE_BOUNDS } as const;
    const job = await before.bank.runJob(wageSum);
    const proof = await waitFor(
      () => before.regulator.proveRecord(job.usageRecordId),
      (p) => p.status === "anchored",
    );
    expect(proof.verified).toBe(true);
    await running.stop();
    running = undefined;

    running = await start();
    const after = clients(running.url);
    expect(await after.bank.health()).toMatchObject({ status: "ok", down: [] });
    expect((await after.bank.listScenarios()).scenarios.map((s) => s.id).sort()).toEqual(
      listed.map((s) => s.id).sort(),
    );
    expect((await after.bank.getJob(job.jobId)).status).toBe("succeeded");
    const again = await after.regulator.proveRecord(job.usageRecordId);
    expect(again).toMatchObject({ status: "anchored", verified: true, anchor: proof.anchor });

    // The same data after the restart: the two noisy releases differ by no more than their noise.
    const next = await after.bank.runJob(wageSum);
    const difference = Math.abs(Number(next.result.value) - Number(job.result.value));
    expect(difference).toBeLessThan(Math.SQRT2 * noiseTolerance(job.result.noise, "sum"));
  });
});
