import regionTable from "../../lib/regions.json" with { type: "json" };
import { defaultClassificationRules, levelRule } from "../../policies/rules.js";
import type { Language } from "./i18n.js";

/** Words for the codes the platform stores, in each of the console's languages. */
type Words = Record<string, Record<Language, string>>;

const MODES: Words = {
  plain: { zh: "明文统计", en: "plain aggregate" },
  mpc: { zh: "多方安全计算", en: "secure multi-party computation" },
  he: { zh: "同态加密", en: "homomorphic encryption" },
  psi: { zh: "隐私求交", en: "private set intersection" },
  join: { zh: "跨部门关联计算", en: "joined across departments" },
};

const SHAPES: Words = {
  row: { zh: "明细", en: "rows" },
  count: { zh: "计数", en: "count" },
  sum: { zh: "求和", en: "sum" },
  mean: { zh: "平均值", en: "mean" },
  variance: { zh: "方差", en: "variance" },
  histogram: { zh: "分布直方图", en: "histogram" },
  "psi-size": { zh: "交集大小", en: "intersection size" },
  "psi-membership": { zh: "交集成员", en: "intersection membership" },
  "psi-sum": { zh: "交集求和", en: "sum over the intersection" },
  "he-score": { zh: "加密评分", en: "encrypted score" },
};

const SECTORS: Words = {
  tax: { zh: "税务", en: "tax" },
  "social-insurance": { zh: "社会保险", en: "social insurance" },
  "market-regulation": { zh: "市场监管", en: "market regulation" },
  "housing-fund": { zh: "住房公积金", en: "housing fund" },
  health: { zh: "卫生健康", en: "health" },
  transport: { zh: "交通运输", en: "transport" },
  finance: { zh: "金融", en: "finance" },
  "natural-resources": { zh: "自然资源", en: "natural resources" },
  education: { zh: "教育", en: "education" },
  "civil-affairs": { zh: "民政", en: "civil affairs" },
};

const CATEGORIES: Words = {
  "enterprise-tax": { zh: "企业纳税", en: "enterprise tax" },
  "enterprise-social-insurance": { zh: "企业参保缴费", en: "enterprise social insurance" },
  "enterprise-registration": { zh: "企业登记", en: "enterprise registration" },
  "housing-fund-contributions": { zh: "公积金缴存", en: "housing fund contributions" },
};

const TYPES: Words = {
  string: { zh: "文本", en: "text" },
  integer: { zh: "整数", en: "integer" },
  decimal: { zh: "小数（两位）", en: "decimal (hundredths)" },
};

const RELEASES: Words = {
  "row-level": { zh: "可按明细提供", en: "may be returned row by row" },
  aggregate: { zh: "仅提供达到最小分组 k 的聚合结果", en: "only as aggregates of at least k rows" },
  "aggregate-dp": {
    zh: "仅提供达到最小分组 k 并加差分隐私噪声的聚合结果",
    en: "only as aggregates of at least k rows, with differential-privacy noise",
  },
  "privacy-computing": {
    zh: "仅经隐私计算（多方安全计算、同态加密、隐私求交）并加噪提供",
    en: "only through privacy computing (MPC, HE, PSI) with noise",
  },
  never: { zh: "不得用于授权运营", en: "never available for authorised operation" },
};

const VOCABULARIES = {
  mode: MODES,
  shape: SHAPES,
  sector: SECTORS,
  category: CATEGORIES,
  type: TYPES,
  release: RELEASES,
} as const;

export type Vocabulary = keyof typeof VOCABULARIES;

/** A code's name in the language; a code the console has no word for is shown as it is. */
export function nameOf(lang: Language, vocabulary: Vocabulary, code: string): string {
  return VOCABULARIES[vocabulary][code]?.[lang] ?? code;
}

const REGIONS: Record<string, string[]> = regionTable.regions;

/** A region code (GB/T 2260) by its name: 330100 → 杭州市 / Hangzhou. */
export function regionName(lang: Language, code: string): string {
  const names = REGIONS[code];
  return names?.[lang === "zh" ? 0 : 1] ?? code;
}

/** A classification level by the name the rules in force give it: 3 → 重要数据 / important data. */
export function levelName(lang: Language, level: number): string {
  const rule = levelRule(defaultClassificationRules, level);
  return rule ? rule.name[lang] : lang === "zh" ? `${level} 级` : `level ${level}`;
}

/** What the rules in force let leave of a field of this level, in words, with the k they require. */
export function levelMeaning(lang: Language, level: number): string {
  const rule = levelRule(defaultClassificationRules, level);
  if (!rule) return "";
  const release = rule.release === "aggregate" && rule.requiresDp ? "aggregate-dp" : rule.release;
  const k = rule.release === "aggregate" || rule.release === "privacy-computing" ? ` (k ≥ ${rule.minGroupSize})` : "";
  return `${nameOf(lang, "release", release)}${k}`;
}

/** A name with the code it stands for kept on hover and for copying (`data-code`). */
export function Named({ code, name }: { code: string | number; name: string }) {
  return (
    <span class="named" title={String(code)} data-code={String(code)}>
      {name}
    </span>
  );
}

/**
 * An id in a table cell: a long one shortened in the middle, never broken across lines; the whole id
 * stays on hover (`title`) and in `data-code`.
 */
export function Id({ id }: { id: string }) {
  const shown = id.length > 20 ? `${id.slice(0, 10)}…${id.slice(-6)}` : id;
  return (
    <code title={id} data-code={id}>
      {shown}
    </code>
  );
}

/** Several codes of one vocabulary by their names, separated by the language's list comma. */
export function NamedList({
  lang,
  codes,
  of,
}: {
  lang: Language;
  codes: readonly string[];
  of: (lang: Language, code: string) => string;
}) {
  const separator = lang === "zh" ? "、" : ", ";
  return (
    <>
      {codes.map((code, i) => (
        <>
          {i > 0 ? separator : ""}
          <Named code={code} name={of(lang, code)} />
        </>
      ))}
    </>
  );
}

/** `of` for NamedList from a vocabulary. */
export const words =
  (vocabulary: Vocabulary) =>
  (lang: Language, code: string): string =>
    nameOf(lang, vocabulary, code);
