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

/** Both owners' wages (level 2), and the keys and districts (level 1) an attacker filters on. */
export const WAGES = [`${TAX.dataset}.wages_fen`, `${SOCIAL.dataset}.wages_fen`];
export const KEYS = [
  `${TAX.dataset}.uscc`,
  `${SOCIAL.dataset}.uscc`,
  `${TAX.dataset}.district`,
  `${SOCIAL.dataset}.district`,
];

/**
 * The demo's rows at both owners, and the first enterprise both hold (an attacker's target): its
 * tax row, its social-insurance row, and the sum of a column at both clamped to `[0, bound]` each.
 */
export function enterpriseAtBothOwners(dataDir: string) {
  const tax = demoRows(dataDir, TAX.owner, TAX.dataset);
  const social = demoRows(dataDir, SOCIAL.owner, SOCIAL.dataset);
  const taxRow = tax.find((r) => social.some((s) => s.uscc === r.uscc)) as Record<string, string>;
  const socialRow = social.find((s) => s.uscc === taxRow.uscc) as Record<string, string>;
  const clamped = (row: Record<string, string>, column: string, bound: number) => Math.min(Number(row[column]), bound);
  return {
    tax,
    social,
    uscc: taxRow.uscc as string,
    district: taxRow.district as string,
    /** `taxColumn` at the tax bureau plus `socialColumn` at the fund, each clamped to `[0, bound]`. */
    sumOf: (taxColumn: string, socialColumn: string, bound: number) =>
      clamped(taxRow, taxColumn, bound) + clamped(socialRow, socialColumn, bound),
  };
}
