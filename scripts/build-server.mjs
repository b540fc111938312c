// Compiles the gateway, the compute node and their worker threads to JavaScript in dist/server, so
// that `npm start` and every node it spawns start without compiling TypeScript. The files they
// find at run time (assets, contracts, the node's entry, the workers) are found through
// lib/runtime-files.ts, which knows whether it runs from a bundle. npm packages stay imports.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { nodeBundle, packagesExcept, root, WORKER_ENTRIES, writeInputs } from "./bundle-options.mjs";

/** Where the bundles are written: dist/server, or the folder given (the tests build their own). */
const outdir = process.argv[2] ? path.resolve(process.argv[2]) : path.join(root, "dist", "server");

// Written over the last build, never emptied first: a gateway still running from it loads its
// chunks on demand, and a chunk's name changes with its content.
mkdirSync(outdir, { recursive: true });
const result = await build({
  ...nodeBundle,
  entryPoints: { gateway: "gateway/server.ts", node: "compute/node/main.ts", ...WORKER_ENTRIES },
  outdir,
  outExtension: { ".js": ".mjs" },
  // The modules the entries share are written once, beside them (lib/runtime-files.ts finds the
  // entries as its siblings).
  splitting: true,
  chunkNames: "[name]-[hash]",
  external: packagesExcept(new Set()),
});
writeInputs(outdir, result.metafile);
