import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

// `npm run bench` runs every bench/*.ts; `npm run bench -- NAME` runs bench/NAME.ts alone.
const here = path.dirname(fileURLToPath(import.meta.url));
const all = readdirSync(here)
  .filter((f) => f.endsWith(".ts") && !["run.ts", "report.ts"].includes(f))
  .map((f) => f.slice(0, -3));
const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !all.includes(name));
if (unknown.length > 0) {
  console.error(`no benchmark ${unknown.join(", ")}; there are: ${all.join(", ")}`);
  process.exit(2);
}
let failed = false;
for (const name of wanted.length ? wanted : all) {
  const result = spawnSync(process.execPath, ["--import", "tsx", path.join(here, `${name}.ts`)], { stdio: "inherit" });
  if (result.status !== 0) {
    console.error(`benchmark ${name} failed (${result.status})`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
