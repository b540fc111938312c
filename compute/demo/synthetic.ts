import { createHash } from "node:crypto";
import { makeUscc } from "../../lib/uscc.js";

/** A reproducible stream of pseudo-random numbers for synthetic data (not for secrets). */
export function createSeededRandom(seed: string): () => number {
  let counter = 0;
  let block = Buffer.alloc(0);
  let offset = 0;
  return () => {
    if (offset + 4 > block.length) {
      block = createHash("sha256").update(`${seed}:${counter++}`).digest();
      offset = 0;
    }
    const value = block.readUInt32BE(offset) / 2 ** 32;
    offset += 4;
    return value;
  };
}

// GB 11714-1997: the 9-character organisation code ends in a check character over its first 8.
const ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2] as const;
export function organisationCode(body8: string): string {
  const sum = [...body8].reduce((acc, ch, i) => acc + Number.parseInt(ch, 36) * (ORG_WEIGHTS[i] ?? 0), 0);
  const check = 11 - (sum % 11);
  return body8 + (check === 10 ? "X" : check === 11 ? "0" : String(check));
}

export const HANGZHOU_DISTRICTS = ["330102", "330105", "330106", "330108", "330109", "330110"] as const;
const INDUSTRIES = [
  "manufacturing",
  "wholesale-retail",
  "software-it",
  "construction",
  "logistics",
  "catering",
] as const;
const NAME_PARTS = [
  "华信",
  "恒达",
  "天成",
  "之江",
  "钱塘",
  "西湖",
  "运河",
  "海创",
  "云栖",
  "湖畔",
  "博远",
  "瑞丰",
] as const;
const NAME_SUFFIXES = [
  "科技有限公司",
  "贸易有限公司",
  "制造有限公司",
  "建设有限公司",
  "物流有限公司",
  "餐饮管理有限公司",
] as const;

export interface SyntheticEnterprise {
  uscc: string;
  name: string;
  district: string;
  industry: string;
  employees: number;
  monthlyWageFen: number;
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** Synthetic enterprises with valid unified social credit codes, the same for the same seed. */
export function syntheticEnterprises(count: number, seed = "sluice-demo"): SyntheticEnterprise[] {
  const random = createSeededRandom(seed);
  const seen = new Set<string>();
  const enterprises: SyntheticEnterprise[] = [];
  while (enterprises.length < count) {
    const district = pick(random, HANGZHOU_DISTRICTS);
    const body = String(Math.floor(random() * 1e8)).padStart(8, "0");
    const uscc = makeUscc("91", district, organisationCode(body));
    if (seen.has(uscc)) continue;
    seen.add(uscc);
    const industryIndex = Math.floor(random() * INDUSTRIES.length);
    const employees = 3 + Math.floor(random() ** 3 * 800);
    enterprises.push({
      uscc,
      name: `杭州${pick(random, NAME_PARTS)}${pick(random, NAME_PARTS)}${NAME_SUFFIXES[industryIndex]}`,
      district,
      industry: INDUSTRIES[industryIndex] as string,
      employees,
      monthlyWageFen: 450_000 + Math.floor(random() * 1_200_000),
    });
  }
  return enterprises;
}
