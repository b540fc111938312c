// Compiles the `sluice` command to JavaScript in dist/cli, so that no call compiles TypeScript:
// esbuild bundles sdk/cli.ts and everything it imports; the commands it loads only when called
// (PSI, scoring, homomorphic keys, the ledger's proofs, the node) become chunks beside it, with the
// worker threads they start as bundles of their own (lib/runtime-files.ts finds them there).
// dist/cli/inputs.json lists every source of ours the bundles hold, so that sdk/bin/sluice.mjs can
// tell a stale build and run the sources instead.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { nodeBundle, packagesExcept, root, WORKER_ENTRIES, writeInputs } from "./bundle-options.mjs";

/** Where the CLI is written: dist/cli, or the folder given (the tests build their own). */
const outdir = process.argv[2] ? path.resolve(process.argv[2]) : path.join(root, "dist", "cli");

mkdirSync(outdir, { recursive: true });
const result = await build({
  ...nodeBundle,
  // The CLI's own workers: PSI's blinding and SEAL (the ledger's pool is the gateway's).
  entryPoints: {
    sluice: "sdk/cli.ts",
    "psi-worker": WORKER_ENTRIES["psi-worker"],
    "he-worker": WORKER_ENTRIES["he-worker"],
  },
  outdir,
  outExtension: { ".js": ".mjs" },
  splitting: true,
  chunkNames: "[name]-[hash]",
  // npm packages stay imports, except the pure-JavaScript ones every call loads, which are read
  // faster from the one file than module by module from node_modules.
  external: packagesExcept(new Set(["zod", "structured-headers", "safe-stable-stringify"])),
});
writeInputs(outdir, result.metafile);
