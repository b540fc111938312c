import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoBankCli, writeReadmeCreditModel } from "../support/demo-cli.js";
import {
  buildServerBundles,
  groupAlive,
  groupCommands,
  type PlatformProcess,
  startPlatformProcess,
  stopPlatformProcess,
} from "../support/platform-process.js";
import { waitFor } from "../support/wait-for.js";

// `npm start` runs the gateway compiled (dist/server): the same demo, every compute mode and the
// regulator's checks, with the gateway, its nodes and their worker threads started from the bundles.
describe("the compiled platform", () => {
  let bundles: ReturnType<typeof buildServerBundles>;
  let platform: PlatformProcess;
  let sluice: ReturnType<typeof demoBankCli>;
  const asRegulator = (...args: string[]) =>
    sluice(...args, "--key", path.join(platform.dataDir, "keys", "demo_regulator.key.json"));

  beforeAll(async () => {
    bundles = buildServerBundles();
    platform = await startPlatformProcess(bundles.outdir);
    sluice = demoBankCli(platform.dataDir, () => platform.url);
  }, 180_000);
  afterAll(async () => {
    if (platform && groupAlive(platform.pgid)) await stopPlatformProcess(platform, "SIGKILL");
    bundles?.remove();
  }, 30_000);

  it("starts the gateway and its three compute nodes from the bundles, none through tsx", () => {
    const commands = groupCommands(platform.pgid);
    expect(commands.filter((command) => command.includes(path.join(bundles.outdir, "gateway.mjs")))).toHaveLength(1);
    expect(commands.filter((command) => command.includes(path.join(bundles.outdir, "node.mjs")))).toHaveLength(3);
    expect(commands.filter((command) => /\btsx\b/.test(command))).toEqual([]);
  });

  it("serves the console's and the API reference's files it finds in the project", async () => {
    for (const asset of ["/console/assets/console.css", "/console/assets/favicon.svg", "/docs/assets/swagger-ui.css"]) {
      const response = await fetch(`${platform.url}${asset}`);
      expect(response.status, asset).toBe(200);
      expect((await response.text()).length, asset).toBeGreaterThan(100);
    }
  });

  it("runs a joined count, the applicants' PSI size and a vertical score, and the regulator verifies and audits", async () => {
    const join = await sluice("scenarios", "--mode", "join", "--id-only");
    const count = await sluice(
      "sql",
      "SELECT COUNT(*) FROM ds_enterprise_tax tax JOIN ds_social_insurance si ON tax.uscc = si.uscc WHERE si.insured_employees >= 50",
      "--scenario",
      join,
    );
    const record = /^usage record: (rec_\S+)$/m.exec(count)?.[1] as string;
    expect(record).toMatch(/^rec_/);

    const psi = await sluice("scenarios", "--mode", "psi", "--id-only");
    expect(
      await sluice(
        "psi",
        ...["--scenario", psi, "--dataset", "ds_enterprise_tax", "--id-field", "uscc"],
        ...["--ids", "applicants.txt", "--epsilon", "1"],
      ),
    ).toMatch(/usage record rec_/);

    const score = await sluice("scenarios", "--mode", "he", "--id-only");
    await sluice("he-keygen", "--param-set", "ckks-8192", "--out", "bank.he.json");
    await sluice("he-register", "--keys", "bank.he.json");
    writeReadmeCreditModel(platform.dataDir);
    const scores = await sluice(
      "score",
      ...["--scenario", score, "--id-field", "uscc", "--he-keys", "bank.he.json"],
      ...["--model", "credit-model.json", "--ids", "applicants.txt"],
    );
    expect(scores).toMatch(/^# \d+ scored, \d+ not held by every owner/m);
    expect(scores).toMatch(/^9\w{17},-?\d+(\.\d+)?$/m);

    await waitFor(
      () => asRegulator("verify", record).catch(() => ""),
      (answer) => answer.startsWith("VERIFIED"),
      200,
    );
    const audit = await asRegulator("audit", "--from", "2000-01-01T00:00:00Z", "--to", "2100-01-01T00:00:00Z");
    expect(audit).toMatch(/^PASSED: 3 usage records/m);
  }, 180_000);

  it("ends the gateway, its compute nodes and its chain within 10 s of SIGTERM to the process group", async () => {
    const stoppedAfterMs = await stopPlatformProcess(platform, "SIGTERM");
    expect(stoppedAfterMs, platform.output.slice(-20).join("\n")).toBeLessThan(10_000);
    expect(platform.output.join("\n")).not.toMatch(/not stopped after/);
  }, 30_000);
});
