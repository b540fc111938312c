import { execFile } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "../support/databases.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "sdk", "bin", "sluice.mjs");
const run = promisify(execFile);

describe("the sluice CLI against a running gateway", () => {
  let gw: TestGateway;
  let url: string;
  const sluice = async (args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
        env: { ...process.env, SLUICE_URL: url },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  beforeAll(async () => {
    gw = await startTestGateway(await testDatabases()[0]!.open());
    url = await gw.listen();
    writeFileSync(path.join(gw.dataDir, "authority.key.json"), JSON.stringify(gw.authority));
  });
  afterAll(async () => {
    await gw?.stop();
    await gw?.database.close();
  });

  it("explains every command (exit 0 when asked, 2 with no command), tells its version, and exits 2 on a wrong one", async () => {
    const help = await sluice(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/explain\s+\(operator\) Dry run/);
    const bare = await sluice([]);
    expect([bare.code, bare.stdout]).toEqual([2, help.stdout]);
    const version = await sluice(["--version"]);
    expect([version.code, version.stdout.trim()]).toEqual([0, expect.stringMatching(/^sluice \d+\.\d+\.\d+$/)]);
    expect((await sluice(["query", "--help"])).stdout).toMatch(/--field <dataset.field>[\s\S]*--where/);
    const wrong = await sluice(["frobnicate"]);
    expect([wrong.code, wrong.stderr]).toEqual([2, expect.stringMatching(/unknown command frobnicate/)]);
    expect((await sluice(["query", "--key", "x.json"])).code).toBe(2);
    const typo = await sluice(["qeury"]);
    expect([typo.code, typo.stderr]).toEqual([2, expect.stringMatching(/unknown command qeury; did you mean query\?/)]);
    const option = await sluice(["scenarios", "--jsn"]);
    expect([option.code, option.stderr.trim().split("\n")[0]]).toEqual([
      2,
      "unknown option --jsn; did you mean --json? (sluice --help lists every option)",
    ]);
  });

  it("makes a key, lets the authority admit it, and refuses the operator admitting anyone", async () => {
    const keyFile = path.join(gw.dataDir, "bank.key.json");
    const made = await sluice(["keygen", "--id", "cli_bank", "--out", keyFile, "--json"]);
    expect(made.code).toBe(0);
    const { publicKey } = JSON.parse(made.stdout) as { publicKey: string };
    expect(JSON.parse(readFileSync(keyFile, "utf8")).publicKey).toBe(publicKey);

    const authority = path.join(gw.dataDir, "authority.key.json");
    const admitted = await sluice([
      "admit",
      "--key",
      authority,
      "--id",
      "cli_bank",
      "--name",
      "CLI Bank",
      "--role",
      "operator",
      // The = form: a base64url key can start with a dash, which would read as an option.
      `--public-key=${publicKey}`,
    ]);
    expect([admitted.code, admitted.stdout.trim()]).toEqual([0, "Admitted cli_bank as operator"]);

    const refused = await sluice([
      "admit",
      "--key",
      keyFile,
      "--id",
      "x",
      "--name",
      "X",
      "--role",
      "operator",
      // The = form: a base64url key can start with a dash, which would read as an option.
      `--public-key=${publicKey}`,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refused \(403\)/);

    const denied = await sluice(["explain", "--key", keyFile, "--scenario", "sc_none", "--sum", "ds_a.x"]);
    expect(denied.code).toBe(1);
    expect(denied.stdout).toMatch(/DENIED by the scenario tier \(scenario-exists\)/);
  });

  it("makes a homomorphic key set on this machine and registers only its public half", async () => {
    const keyFile = path.join(gw.dataDir, "bank_he.key.json");
    await sluice(["keygen", "--id", "bank_he", "--out", keyFile]);
    const { publicKey } = JSON.parse(readFileSync(keyFile, "utf8")) as { publicKey: string };
    await gw.client().admitParticipant({ id: "bank_he", name: "HE Bank", role: "operator", publicKey });
    const heFile = path.join(gw.dataDir, "bank.he.json");
    const made = await sluice(["he-keygen", "--param-set", "ckks-8192", "--out", heFile, "--json"]);
    expect(made.code).toBe(0);
    const { fingerprint } = JSON.parse(made.stdout) as { fingerprint: string };
    expect(statSync(heFile).mode & 0o777).toBe(0o600);
    const registered = await sluice(["he-register", "--keys", heFile, "--key", keyFile]);
    expect(registered.code).toBe(0);
    expect(registered.stdout).toContain(fingerprint);
    expect((await sluice(["he-keygen", "--param-set", "bfv-2048", "--out", `${heFile}.2`])).code).toBe(2);
  });

  it("reports a gateway it cannot reach with exit code 3", async () => {
    const down = await run(process.execPath, [bin, "health", "--url", "http://127.0.0.1:9"]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((down as { code: number }).code).toBe(3);
  });
});
