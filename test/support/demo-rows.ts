import { readFileSync } from "node:fs";
import path from "node:path";

/** A demo owner's rows as the node holds them, read from the node's CSV (the test plays the owner's clerk). */
export function demoRows(dataDir: string, ownerKey: string, datasetId: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(path.join(dataDir, "nodes", ownerKey, `${datasetId}.csv`), "utf8")
    .trim()
    .split("\n");
  const names = (header as string).split(",");
  return lines.map((line) => {
    const cells = line.split(",");
    return Object.fromEntries(names.map((name, i) => [name, cells[i] as string]));
  });
}

export const TAX = { owner: "tax", dataset: "ds_enterprise_tax" } as const;
export const SOCIAL = { owner: "social", dataset: "ds_social_insurance" } as const;
