import { z } from "zod";
import { canonicalHash } from "../lib/canonical-json.js";
import classificationV1 from "./rules/classification-v1.json" with { type: "json" };
import classificationV2 from "./rules/classification-v2.json" with { type: "json" };

/** Release forms from least to most protective; a level allows its own form and every stronger one. */
export const RELEASE_FORMS = ["row-level", "aggregate", "privacy-computing", "never"] as const;
export type ReleaseForm = (typeof RELEASE_FORMS)[number];

const bilingual = z.object({ zh: z.string().min(1), en: z.string().min(1) }).strict();

/** Mirrors rules/classification.schema.json, the published JSON Schema of the rule documents. */
export const classificationRulesSchema = z
  .object({
    $schema: z.string().optional(),
    id: z.literal("classification"),
    version: z.string().regex(/^[0-9]+$/),
    standard: z.string(),
    levels: z
      .array(
        z
          .object({
            level: z.number().int().min(1),
            category: z.enum(["general", "important", "core"]),
            grade: z.number().int().min(1).optional(),
            name: bilingual,
            release: z.enum(RELEASE_FORMS),
            minGroupSize: z.number().int().min(0),
            requiresDp: z.boolean(),
            resultLevel: z.number().int().min(1),
          })
          .strict(),
      )
      .min(1),
    resultHandling: z.array(z.object({ level: z.number().int().min(1), handling: bilingual }).strict()),
  })
  .strict();

export type ClassificationRules = z.infer<typeof classificationRulesSchema>;
export type LevelRule = ClassificationRules["levels"][number];

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** Every published version of the rules, by version (frozen); a changed document is added here as a new version. */
export const CLASSIFICATION_RULES: ReadonlyMap<string, ClassificationRules> = new Map(
  [classificationV1, classificationV2].map((doc) => {
    const rules = deepFreeze(classificationRulesSchema.parse(doc));
    return [rules.version, rules] as const;
  }),
);

// Published documents are frozen, so their fingerprint is computed once; any other object is hashed each time.
const publishedFingerprints = new WeakMap<ClassificationRules, string>();

for (const rules of CLASSIFICATION_RULES.values()) publishedFingerprints.set(rules, rulesFingerprint(rules));

/** The rules in force: the highest published version. */
export const defaultClassificationRules: ClassificationRules = [...CLASSIFICATION_RULES.values()].reduce((a, b) =>
  Number(b.version) > Number(a.version) ? b : a,
);

/** Every published version by its fingerprint: what a decision names its rules by. */
const PUBLISHED_BY_FINGERPRINT: ReadonlyMap<string, ClassificationRules> = new Map(
  [...CLASSIFICATION_RULES.values()].map((rules) => [rulesFingerprint(rules), rules] as const),
);

/** The fingerprint of the rules in force, as decisions name them. */
export const defaultRulesFingerprint = rulesFingerprint(defaultClassificationRules);

/** The published rules a fingerprint names, or undefined when none does (an unpublished or edited version). */
export function publishedRules(fingerprint: string): ClassificationRules | undefined {
  return PUBLISHED_BY_FINGERPRINT.get(fingerprint);
}

/** `classification@1#<sha256 prefix>`: names the version and pins its content, so an edit without a new version shows. */
export function rulesFingerprint(rules: ClassificationRules): string {
  const known = publishedFingerprints.get(rules);
  if (known) return known;
  const { $schema: _ignored, ...content } = rules;
  return `${rules.id}@${rules.version}#${canonicalHash(content).slice(0, 16)}`;
}

// Level lookups per rules document, kept for the frozen published ones.
const levelIndexes = new WeakMap<ClassificationRules, Map<number, LevelRule>>();

export function levelRule(rules: ClassificationRules, level: number): LevelRule | undefined {
  let index = levelIndexes.get(rules);
  if (!index) {
    index = new Map(rules.levels.map((l) => [l.level, l]));
    if (Object.isFrozen(rules)) levelIndexes.set(rules, index);
  }
  return index.get(level);
}

/** How a result of this level may be stored and shown; the nearest stricter rule applies to a level with none of its own. */
export function resultHandling(rules: ClassificationRules, level: number): { zh: string; en: string } {
  let best: ClassificationRules["resultHandling"][number] | undefined;
  for (const h of rules.resultHandling) if (h.level >= level && (!best || h.level < best.level)) best = h;
  return (
    (best ?? rules.resultHandling.at(-1))?.handling ?? {
      zh: "按最严格规则处理",
      en: "Handle under the strictest rule.",
    }
  );
}
