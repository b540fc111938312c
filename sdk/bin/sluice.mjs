#!/usr/bin/env node
// `sluice`: the compiled CLI (dist/cli/sluice.mjs, which `npm install` builds) when it is at least
// as new as every source it was built from, so that a call starts without compiling TypeScript;
// otherwise (never built, or a source edited since) the TypeScript sources through tsx.
import { readFileSync, statSync } from "node:fs";

const root = new URL("../../", import.meta.url);
const compiled = new URL("dist/cli/sluice.mjs", root);

function compiledIsCurrent() {
  try {
    const built = statSync(compiled).mtimeMs;
    const inputs = JSON.parse(readFileSync(new URL("dist/cli/inputs.json", root), "utf8"));
    return inputs.every((input) => statSync(new URL(input, root)).mtimeMs <= built);
  } catch {
    return false;
  }
}

const args = process.argv.slice(2);
if (args.length === 1 && args[0] === "--version") {
  // Answered here, before any module loads: a script asking the version should not wait for them.
  const { version } = JSON.parse(readFileSync(new URL("package.json", root), "utf8"));
  console.log(`sluice ${version}`);
} else if (compiledIsCurrent()) {
  await import(compiled.href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../cli.ts");
}
