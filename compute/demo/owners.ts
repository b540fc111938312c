import { shuffle } from "../../lib/shuffle.js";
import type { ColumnSpec } from "../node/datastore.js";
import { createSeededRandom, type SyntheticEnterprise, syntheticEnterprises } from "./synthetic.js";

export interface DemoDatasetField {
  name: string;
  type: "string" | "integer";
  level: number;
}

/** A demo data owner: a department, its node, and one dataset with its classification per field. */
export interface DemoOwner {
  key: string;
  name: string;
  sector: string;
  region: string;
  dataset: { id: string; name: string; category: string; keyField: string; fields: DemoDatasetField[] };
  rows(enterprises: SyntheticEnterprise[]): Record<string, string | number>[];
  /** What the owner's node allows of encrypted scoring on the dataset, if anything. */
  scoring?: { idField: string; bounds: Record<string, [number, number]>; maxScoresPerId: number };
}

export const DEMO_REGION = "330100";

export const DEMO_OWNERS: readonly DemoOwner[] = [
  {
    key: "tax",
    name: "杭州市税务局 (Hangzhou Tax Bureau)",
    sector: "tax",
    region: DEMO_REGION,
    dataset: {
      id: "ds_enterprise_tax",
      name: "企业纳税信息 (enterprise tax records)",
      category: "enterprise-tax",
      keyField: "uscc",
      fields: [
        { name: "uscc", type: "string", level: 1 },
        { name: "district", type: "string", level: 1 },
        { name: "industry", type: "string", level: 1 },
        // Headcounts are public: every enterprise's annual report discloses them (国家企业信用信息公示系统).
        { name: "employees", type: "integer", level: 1 },
        { name: "wages_fen", type: "integer", level: 2 },
        { name: "tax_paid_fen", type: "integer", level: 3 },
      ],
    },
    // A bank may score its loan applicants on these, each at most twelve times per scenario.
    scoring: {
      idField: "uscc",
      bounds: { employees: [0, 1_000], wages_fen: [0, 20_000_000_000], tax_paid_fen: [0, 2_000_000_000] },
      maxScoresPerId: 12,
    },
    rows: (enterprises) => {
      const random = createSeededRandom("tax");
      return enterprises.map((e) => {
        const wages = e.employees * e.monthlyWageFen * 12;
        return {
          uscc: e.uscc,
          district: e.district,
          industry: e.industry,
          employees: e.employees,
          wages_fen: wages,
          tax_paid_fen: Math.floor(wages * (0.04 + random() * 0.08)),
        };
      });
    },
  },
  {
    key: "social",
    name: "杭州市社会保险基金 (Hangzhou Social Insurance Fund)",
    sector: "social-insurance",
    region: DEMO_REGION,
    dataset: {
      id: "ds_social_insurance",
      name: "企业参保缴费信息 (enterprise social insurance contributions)",
      category: "enterprise-social-insurance",
      keyField: "uscc",
      fields: [
        { name: "uscc", type: "string", level: 1 },
        { name: "district", type: "string", level: 1 },
        { name: "insured_employees", type: "integer", level: 1 },
        { name: "wages_fen", type: "integer", level: 2 },
        { name: "contributions_fen", type: "integer", level: 3 },
      ],
    },
    // The same bank may weigh these too, beside the tax bureau's features (a vertical score).
    scoring: {
      idField: "uscc",
      bounds: { insured_employees: [0, 1_000], wages_fen: [0, 20_000_000_000], contributions_fen: [0, 6_000_000_000] },
      maxScoresPerId: 12,
    },
    rows: (enterprises) => {
      const random = createSeededRandom("social");
      // Not every enterprise insures every employee; some are missing from the fund's records.
      return enterprises
        .filter(() => random() < 0.9)
        .map((e) => {
          const insured = Math.max(1, Math.floor(e.employees * (0.7 + random() * 0.3)));
          const wages = insured * e.monthlyWageFen * 12;
          return {
            uscc: e.uscc,
            district: e.district,
            insured_employees: insured,
            wages_fen: wages,
            contributions_fen: Math.floor(wages * 0.3),
          };
        });
    },
  },
];

/** The body an owner posts to register its demo dataset (POST /datasets). */
export function demoDatasetRegistration(owner: DemoOwner, nodeId: string) {
  return {
    id: owner.dataset.id,
    name: owner.dataset.name,
    nodeId,
    sector: owner.sector,
    category: owner.dataset.category,
    region: owner.region,
    keyField: owner.dataset.keyField,
    fields: owner.dataset.fields,
  };
}

export function columnsOf(owner: DemoOwner): ColumnSpec[] {
  return owner.dataset.fields.map(({ name, type, level }) => ({ name, type, level }));
}

/**
 * The demo bank's consenting loan applicants: two in five of the demo's enterprises and 50 valid
 * credit codes that no department holds, in a random order.
 */
export function demoApplicants(enterpriseCount = 500): string[] {
  const enterprises = syntheticEnterprises(enterpriseCount + 50);
  const ids = [
    ...enterprises.slice(0, enterpriseCount).filter((_, i) => i % 5 < 2),
    ...enterprises.slice(enterpriseCount),
  ].map((e) => e.uscc);
  shuffle(ids.length, (i, j) => {
    [ids[i], ids[j]] = [ids[j] as string, ids[i] as string];
  });
  return ids;
}

/** The demo owner's dataset as CSV: the same bytes for the same enterprise count. */
export function demoCsv(owner: DemoOwner, enterpriseCount = 500): string {
  const rows = owner.rows(syntheticEnterprises(enterpriseCount));
  const header = owner.dataset.fields.map((f) => f.name);
  return `${[header.join(","), ...rows.map((row) => header.map((h) => String(row[h])).join(","))].join("\n")}\n`;
}
