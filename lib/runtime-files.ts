import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

// Sluice runs from its TypeScript sources (tsx, vitest) or compiled into bundles under dist/
// (`npm start`, scripts/build-server.mjs). This module is in either, so the files a module finds
// at run time (assets, contracts, workers, the node's entry) are found from where it really runs.

const here = fileURLToPath(import.meta.url);

/** Whether this copy runs from a bundle the build wrote rather than from its TypeScript source. */
export const runsCompiled = !here.endsWith(".ts");

function isProjectFolder(dir: string): boolean {
  const manifest = path.join(dir, "package.json");
  if (!existsSync(manifest)) return false;
  try {
    return (JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name === "sluice";
  } catch {
    return false;
  }
}

function findProjectRoot(from: string): string {
  for (let dir = path.dirname(from); ; dir = path.dirname(dir)) {
    if (isProjectFolder(dir)) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no Sluice project folder (package.json) above ${from}`);
  }
}

/** The project's folder (the one holding package.json), from the sources or from a bundle in dist/. */
export const projectRoot = findProjectRoot(here);

/** A file of the project, by its path from the project's folder. */
export function projectFile(...segments: string[]): string {
  return path.join(projectRoot, ...segments);
}

/**
 * What a worker thread runs: when compiled, the worker's own bundle, written beside this one;
 * otherwise its TypeScript entry (which registers tsx in the thread).
 */
export function workerEntry(bundle: string, sourceEntry: URL): URL {
  return runsCompiled ? new URL(`./${bundle}`, import.meta.url) : sourceEntry;
}

/** The arguments after `node` that start a compute node: its bundle when compiled, else its source through tsx. */
export function computeNodeCommand(): string[] {
  return runsCompiled
    ? [fileURLToPath(new URL("./node.mjs", import.meta.url))]
    : ["--import", "tsx", projectFile("compute", "node", "main.ts")];
}
