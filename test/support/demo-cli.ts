import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "sdk", "bin", "sluice.mjs");
const execute = promisify(execFile);

/** Runs `sluice` as the demo bank against a platform, in its data folder; resolves to its trimmed stdout. */
export function demoBankCli(dataDir: string, platformUrl: () => string) {
  return async (...args: string[]) =>
    (
      await execute(process.execPath, [bin, ...args], {
        cwd: dataDir,
        env: {
          ...process.env,
          SLUICE_URL: platformUrl(),
          SLUICE_KEY_FILE: path.join(dataDir, "keys", "demo_bank.key.json"),
        },
      })
    ).stdout.trim();
}

/** The README's credit model over both departments' features, written as credit-model.json in `dataDir`. */
export function writeReadmeCreditModel(dataDir: string): void {
  writeFileSync(
    path.join(dataDir, "credit-model.json"),
    JSON.stringify({
      features: ["ds_enterprise_tax.employees", "ds_social_insurance.insured_employees"],
      weights: [0.004, 0.006],
      bias: -0.5,
      maxAbsScore: 100,
    }),
  );
}
