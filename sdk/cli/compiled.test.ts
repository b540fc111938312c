import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The compiled CLI (scripts/build-cli.mjs) against the TypeScript sources it is built from.
const root = path.resolve(import.meta.dirname, "..", "..");
// Inside the project, as dist/cli is, so that the bundle finds the project's packages; its own
// folder, so that the CLI other tests run is never rewritten under them.
mkdirSync(path.join(root, "dist"), { recursive: true });
const outdir = mkdtempSync(path.join(root, "dist", "test-cli-"));
const compiled = path.join(outdir, "sluice.mjs");

function run(args: string[], entry: "compiled" | "sources") {
  const argv = entry === "compiled" ? [compiled] : ["--import", "tsx", path.join(root, "sdk", "cli.ts")];
  const result = spawnSync(process.execPath, [...argv, ...args], {
    encoding: "utf8",
    env: { ...process.env, SLUICE_KEY_FILE: "", SLUICE_URL: "http://127.0.0.1:9" },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("the compiled CLI", () => {
  beforeAll(() => {
    execFileSync(process.execPath, [path.join(root, "scripts", "build-cli.mjs"), outdir], { cwd: root });
  }, 60_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it("answers help, the version, unknown words and a refused connection exactly as the sources do", () => {
    for (const args of [["--help"], ["--version"], ["scenarioz"], ["query", "--frob"], ["health"], ["psi"]]) {
      expect(run(args, "compiled"), args.join(" ")).toEqual(run(args, "sources"));
    }
    expect(run(["--version"], "compiled").stdout).toMatch(/^sluice \d+\.\d+\.\d+\n$/);
  }, 60_000);

  it("holds no module that finds files beside its source: those are loaded from the sources when called", () => {
    const inputs = JSON.parse(readFileSync(path.join(outdir, "inputs.json"), "utf8")) as string[];
    expect(inputs).toContain("sdk/cli/commands.ts");
    const locating = inputs.filter((input) => readFileSync(path.join(root, input), "utf8").includes("import.meta"));
    expect(locating.sort()).toEqual(["sdk/cli.ts", "sdk/cli/lazy.ts"]);
    for (const heavy of [
      "compute/psi/pool.ts",
      "compute/he/pool.ts",
      "ledger/artifacts.ts",
      "compute/node/server.ts",
    ]) {
      expect(inputs).not.toContain(heavy);
    }
    expect(readFileSync(compiled, "utf8")).not.toMatch(/from "node-seal"/);
  });
});
