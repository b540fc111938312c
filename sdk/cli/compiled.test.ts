import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
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
    for (const args of [
      ["--help"],
      ["--version"],
      ["scenarioz"],
      ["query", "--frob"],
      ["health"],
      ["psi"],
      ["he-keygen", "--param-set", "bfv-1", "--out", "unused.json"],
      ["node", "missing-config.json"],
    ]) {
      expect(run(args, "compiled"), args.join(" ")).toEqual(run(args, "sources"));
    }
    expect(run(["--version"], "compiled").stdout).toMatch(/^sluice \d+\.\d+\.\d+\n$/);
  }, 60_000);

  it("holds every command, with the worker threads bundled beside it, each file found through runtime-files", () => {
    const inputs = JSON.parse(readFileSync(path.join(outdir, "inputs.json"), "utf8")) as string[];
    for (const held of [
      "sdk/cli/commands.ts",
      "compute/psi/pool.ts",
      "compute/he/pool.ts",
      "ledger/artifacts.ts",
      "compute/node/server.ts",
    ]) {
      expect(inputs).toContain(held);
    }
    for (const worker of ["psi-worker.mjs", "he-worker.mjs"]) {
      expect(existsSync(path.join(outdir, worker)), worker).toBe(true);
    }
    // A module that reads its own location would look beside dist/cli: only these may, and the pools
    // only to name their TypeScript entry, which runtime-files replaces when compiled.
    const locating = inputs.filter((input) => readFileSync(path.join(root, input), "utf8").includes("import.meta"));
    expect(locating.sort()).toEqual([
      "compute/he/pool.ts",
      "compute/psi/pool.ts",
      "lib/runtime-files.ts",
      "sdk/cli.ts",
    ]);
  });

  it("loads no native package or SEAL on a call that does not need one: they are in the chunks loaded when called", () => {
    const loaded = new Set<string>();
    const follow = (file: string) => {
      if (loaded.has(file)) return;
      loaded.add(file);
      const text = readFileSync(path.join(outdir, file), "utf8");
      for (const match of text.matchAll(/(?:^|\n)import\s*(?:[^;"]*?from\s*)?"\.\/([^"]+)"/g))
        follow(match[1] as string);
    };
    follow("sluice.mjs");
    expect(loaded.size).toBeGreaterThan(1);
    for (const file of loaded) {
      const text = readFileSync(path.join(outdir, file), "utf8");
      for (const heavy of ["node-seal", "@duckdb/node-api", "sodium-native", "hardhat"]) {
        expect(text, `${file} imports ${heavy}`).not.toMatch(new RegExp(`from\\s*"${heavy}`));
      }
    }
  });
});
