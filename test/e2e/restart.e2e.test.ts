import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEMO_OPERATOR_ID, DEMO_REGULATOR_ID } from "../../gateway/demo.js";
import type { Platform } from "../../gateway/platform.js";
import { createClient } from "../../sdk/index.js";
import { startDemoPlatform } from "../support/demo-platform.js";
import { waitFor } from "../support/wait-for.js";

const on = [
  { datasetId: "ds_enterprise_tax", keyField: "uscc" },
  { datasetId: "ds_social_insurance", keyField: "uscc" },
];

describe("npm start's platform across a restart", () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "sluice-restart-"));
  const start = () => startDemoPlatform(dataDir);
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
    // The demo's three ways across departments: a joined aggregate, a PSI size of the bank's applicants, a vertical score.
    expect(listed.map((s) => s.computeModes).sort()).toEqual([["he"], ["join"], ["psi"]]);
    expect(listed.every((s) => s.status === "active")).toBe(true);
    const applicants = readFileSync(path.join(dataDir, "applicants.txt"), "utf8")
      .split("\n")
      .filter((l) => /^[0-9A-Z]{18}$/.test(l));
    expect(applicants).toHaveLength(250);
    const scenario = listed.find((s) => (s.computeModes as string[]).includes("join"));
    const joinedCount = { scenarioId: scenario!.id, queryShape: "count", on } as const;
    const job = await before.bank.runJoin(joinedCount);
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

    // The same data after the restart: the joined count (level-1 keys, no noise) is the same.
    const next = await after.bank.runJoin(joinedCount);
    expect(next.result.cells).toEqual(job.result.cells);
    expect(job.result.cells[0]?.count).toBeGreaterThan(300);
    expect(
      readFileSync(path.join(dataDir, "applicants.txt"), "utf8")
        .split("\n")
        .filter((l) => /^[0-9A-Z]{18}$/.test(l)),
    ).toEqual(applicants);
  });
});
