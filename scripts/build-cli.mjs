// Compiles the `sluice` command to one JavaScript file, dist/cli/sluice.mjs, so a call starts
// without compiling TypeScript: esbuild bundles sdk/cli.ts and what it imports statically. A
// module the CLI imports dynamically (PSI, scoring, the node, the ledger's proofs: their workers
// and files are found beside their sources) stays a TypeScript file the bundle imports at run time
// through tsx. dist/cli/inputs.json lists every source of ours the bundle holds, so that
// sdk/bin/sluice.mjs can tell a stale bundle and run the sources instead.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { nodeBundle, packagesExcept, root, writeInputs } from "./bundle-options.mjs";

/** Where the CLI is written: dist/cli, or the folder given (the tests build their own). */
const outdir = process.argv[2] ? path.resolve(process.argv[2]) : path.join(root, "dist", "cli");

/** A dynamic import of one of our modules: left to run time, pointed at its TypeScript source. */
const sourcesAtRunTime = {
  name: "sources-at-run-time",
  setup(builder) {
    builder.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.kind !== "dynamic-import") return undefined;
      const source = path.resolve(args.resolveDir, args.path.replace(/\.js$/, ".ts"));
      return { path: path.relative(outdir, source).split(path.sep).join("/"), external: true };
    });
  },
};

mkdirSync(outdir, { recursive: true });
const result = await build({
  ...nodeBundle,
  entryPoints: ["sdk/cli.ts"],
  outfile: path.join(outdir, "sluice.mjs"),
  // npm packages stay imports, except the pure-JavaScript ones every call loads, which are read
  // faster from the one file than module by module from node_modules.
  external: packagesExcept(new Set(["zod", "structured-headers", "safe-stable-stringify"])),
  plugins: [sourcesAtRunTime],
});
writeInputs(outdir, result.metafile);
