// What the two builds (scripts/build-cli.mjs, scripts/build-server.mjs) share: the project's folder,
// esbuild's options for a Node.js bundle whose npm packages stay imports, and the list of our
// sources a bundle holds (dist/<name>/inputs.json).
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Every package the project depends on, except those named: they stay imports from node_modules. */
export function packagesExcept(inlined) {
  const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
  return Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }).filter((name) => !inlined.has(name));
}

/** The worker threads' entries, each bundled beside the code that starts them. */
export const WORKER_ENTRIES = {
  "psi-worker": "compute/psi/worker.ts",
  "he-worker": "compute/he/worker.ts",
  "ledger-worker": "ledger/ledger-worker.ts",
};

export const nodeBundle = {
  absWorkingDir: root,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "linked",
  metafile: true,
  logLevel: "warning",
};

/** Writes the sources of ours a build holds (the packages change with `npm install`, which builds again). */
export function writeInputs(outdir, metafile) {
  const inputs = Object.keys(metafile.inputs)
    .filter((input) => !input.startsWith("node_modules/"))
    .sort();
  writeFileSync(path.join(outdir, "inputs.json"), `${JSON.stringify(inputs, null, 1)}\n`);
}
