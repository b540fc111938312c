import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { computeNodeCommand, projectFile, projectRoot, runsCompiled, workerEntry } from "./runtime-files.js";

const root = path.resolve(import.meta.dirname, "..");
const sourceEntry = new URL("../compute/psi/worker-entry.mjs", import.meta.url);

describe("the files Sluice finds at run time", () => {
  it("from the sources: the project's folder, the workers' TypeScript entries and the node through tsx", () => {
    expect(runsCompiled).toBe(false);
    expect(projectRoot).toBe(root);
    expect(projectFile("store", "migrations")).toBe(path.join(root, "store", "migrations"));
    expect(workerEntry("psi-worker.mjs", sourceEntry)).toBe(sourceEntry);
    expect(computeNodeCommand()).toEqual(["--import", "tsx", path.join(root, "compute", "node", "main.ts")]);
  });

  describe("from a bundle in dist/", () => {
    mkdirSync(path.join(root, "dist"), { recursive: true });
    const outdir = mkdtempSync(path.join(root, "dist", "test-runtime-files-"));
    afterAll(() => rmSync(outdir, { recursive: true, force: true }));

    /** A bundle holding this module that prints what it finds; its path. */
    async function bundleProbe(): Promise<string> {
      const probe = path.join(outdir, "probe.ts");
      const module = JSON.stringify(path.join(root, "lib", "runtime-files.ts"));
      writeFileSync(
        probe,
        `import { computeNodeCommand, projectRoot, runsCompiled, workerEntry } from ${module};
const worker = workerEntry("he-worker.mjs", new URL("file:///source.mjs")).href;
console.log(JSON.stringify({ runsCompiled, projectRoot, worker, node: computeNodeCommand() }));`,
      );
      const outfile = path.join(outdir, "probe.mjs");
      await build({ entryPoints: [probe], outfile, bundle: true, platform: "node", format: "esm", logLevel: "silent" });
      return outfile;
    }

    it("the same project folder, and the workers and the node as the bundles beside it", async () => {
      const seen = JSON.parse(execFileSync(process.execPath, [await bundleProbe()], { encoding: "utf8" }));
      expect(seen).toEqual({
        runsCompiled: true,
        projectRoot: root,
        worker: new URL("he-worker.mjs", `file://${outdir}/`).href,
        node: [fileURLToPath(new URL("node.mjs", `file://${outdir}/`))],
      });
    });

    it("refuses to run outside a Sluice project, naming where it looked", async () => {
      const elsewhere = mkdtempSync(path.join(tmpdir(), "sluice-outside-"));
      try {
        writeFileSync(path.join(elsewhere, "package.json"), JSON.stringify({ name: "not-sluice" }));
        copyFileSync(await bundleProbe(), path.join(elsewhere, "probe.mjs"));
        expect(() =>
          execFileSync(process.execPath, [path.join(elsewhere, "probe.mjs")], { encoding: "utf8", stdio: "pipe" }),
        ).toThrow(/no Sluice project folder \(package\.json\) above/);
      } finally {
        rmSync(elsewhere, { recursive: true, force: true });
      }
    });
  });
});
