import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Platform } from "../../gateway/platform.js";
import { demoBankCli, writeReadmeCreditModel } from "../support/demo-cli.js";
import { startDemoPlatform } from "../support/demo-platform.js";

// The README's walk through the demo, command by command, as the demo bank on `npm start`'s platform.
describe("the README's demo: a joined query, the applicants' PSI size and a vertical score, as printed", () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "sluice-demo-walk-"));
  let platform: Platform;
  const sluice = demoBankCli(dataDir, () => platform.url);

  beforeAll(async () => {
    platform = await startDemoPlatform(dataDir);
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("finds each scenario by its compute mode and runs the joined count and the noisy mean", async () => {
    const join = await sluice("scenarios", "--mode", "join", "--id-only");
    expect(join).toMatch(/^sc_[0-9a-f]+$/);
    expect(await sluice("scenario", join)).toMatch(
      /joined across departments[\s\S]*ds_social_insurance: uscc, insured_employees/,
    );
    const count = await sluice(
      "sql",
      "SELECT COUNT(*) FROM ds_enterprise_tax tax JOIN ds_social_insurance si ON tax.uscc = si.uscc WHERE si.insured_employees >= 50",
      "--scenario",
      join,
    );
    expect(count).toMatch(/^usage record: rec_/m);
    const mean = await sluice(
      "sql",
      "SELECT tax.district, AVG(tax.tax_paid_fen) FROM ds_enterprise_tax tax JOIN ds_social_insurance si ON tax.uscc = si.uscc WHERE si.insured_employees >= 50 AND tax.district IN ('330102','330105','330106') GROUP BY tax.district",
      "--scenario",
      join,
      "--bounds",
      "0,200000000",
      "--epsilon",
      "1",
    );
    // A table of the districts, the mean in yuan from integer fen, counts with separators.
    expect(mean).toMatch(/^group\s+rows\s+mean$/m);
    expect(mean).toMatch(/^330102\s+[\d,]+\s+[\d,]+\.\d\d 元$/m);
    expect(mean).toMatch(/^k: \d+; \d+ cell\(s\) withheld$/m);
    await expect(sluice("scenarios", "--mode", "mpc", "--id-only")).rejects.toMatchObject({ code: 1 });

    const scenario = await sluice("scenario", join);
    for (const term of [
      /^ {2}operator: demo_bank$/m,
      /^ {2}smallest group released \(k\): \d+$/m,
      /privacy budget ε: /,
      /^ {2}price: [\d,]+\.\d\d 元 a query/m,
      /^ {2}valid: \d{4}-\d\d-\d\d \d\d:\d\d \(Asia\/Shanghai\) to /m,
    ]) {
      expect(scenario).toMatch(term);
    }
    const jobs = await sluice("jobs", "--scenario", join);
    expect(jobs.split("\n")[0]).toMatch(/^job\s+started\s+status\s+asked\s+scenario$/);
    const newest = /^(job_\S+|\S+)\s+\d{4}-/m.exec(jobs.split("\n")[2] ?? "")?.[1] as string;
    expect(jobs.split("\n").slice(2)).toHaveLength(2);
    const job = await sluice("job", newest);
    expect(job).toMatch(new RegExp(`^${newest}: succeeded$`, "m"));
    expect(job).toMatch(/^ {2}asked: mean of ds_enterprise_tax\.tax_paid_fen \(join\), ε 1$/m);
    expect(job).toMatch(/^ {4}330102\s+[\d,]+\s+[\d,]+\.\d\d 元$/m);
    expect(job).toMatch(/^ {2}usage record: rec_/m);
    expect(await sluice("datasets")).toMatch(/^ds_enterprise_tax\s+.*uscc/m);
    expect(await sluice("grants")).toMatch(/^grant\s+tier\s+operator/);

    // A filter that compares text with a number is the caller's mistake: refused (1), naming the field.
    const typeError = await sluice(
      "sql",
      "SELECT COUNT(*) FROM ds_enterprise_tax tax JOIN ds_social_insurance si ON tax.uscc = si.uscc WHERE tax.district >= 5",
      "--scenario",
      join,
    ).catch((error: { code: number; stderr: string }) => error);
    expect(typeError).toMatchObject({ code: 1, stderr: expect.stringMatching(/district/) });
  });

  it("sizes the bank's applicants inside the tax register and scores them from both departments' features", async () => {
    const applicants = path.join(dataDir, "applicants.txt");
    expect(
      readFileSync(applicants, "utf8")
        .split("\n")
        .filter((l) => /^[0-9A-Z]{18}$/.test(l)),
    ).toHaveLength(250);
    const psi = await sluice("scenarios", "--mode", "psi", "--id-only");
    const size = await sluice(
      "psi",
      "--scenario",
      psi,
      "--dataset",
      "ds_enterprise_tax",
      "--id-field",
      "uscc",
      "--ids",
      applicants,
      "--epsilon",
      "1",
      "--json",
    );
    // 200 of the 250 are demo taxpayers; the size carries noise of scale 1/ε.
    const released = JSON.parse(size) as { size: number; invalid: unknown[] };
    expect(released.invalid).toEqual([]);
    expect(Math.abs(released.size - 200)).toBeLessThan(40);

    const score = await sluice("scenarios", "--mode", "he", "--id-only");
    await sluice("he-keygen", "--param-set", "ckks-8192", "--out", "bank.he.json");
    await sluice("he-register", "--keys", "bank.he.json");
    writeReadmeCreditModel(dataDir);
    const scores = await sluice(
      "score",
      "--scenario",
      score,
      "--id-field",
      "uscc",
      "--he-keys",
      "bank.he.json",
      "--model",
      "credit-model.json",
      "--ids",
      applicants,
    );
    const lines = scores.split("\n").filter((l) => /^[0-9A-Z]{18},/.test(l));
    // The fund holds about nine in ten of the bureau's enterprises: most of the 200 are scored.
    expect(lines.length).toBeGreaterThan(150);
    expect(lines.length).toBeLessThan(200);
    expect(scores).toMatch(/not held by every owner/);
  }, 120_000);
});
