import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import Ajv2020 from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import {
  CLASSIFICATION_RULES,
  classificationRulesSchema,
  defaultClassificationRules,
  resultHandling,
  rulesFingerprint,
} from "./rules.js";

const read = (name: string) =>
  JSON.parse(readFileSync(fileURLToPath(new URL(`./rules/${name}`, import.meta.url)), "utf8"));
const jsonSchema = read("classification.schema.json");
const validate = new Ajv2020.default({ allErrors: true, strict: false }).compile(jsonSchema);

describe("classification rule documents", () => {
  it("validates every published version against the published JSON Schema", () => {
    const doc = read("classification-v1.json");
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(CLASSIFICATION_RULES.get("1")).toEqual(classificationRulesSchema.parse(doc));
  });

  it.each([
    [
      "an unknown release form",
      (d: Record<string, unknown>) => {
        (d.levels as Record<string, unknown>[])[0]!.release = "sometimes";
      },
    ],
    ["a missing version", (d: Record<string, unknown>) => delete d.version],
    [
      "an extra property",
      (d: Record<string, unknown>) => {
        d.owner = "me";
      },
    ],
    [
      "a level without a minimum group size",
      (d: Record<string, unknown>) => delete (d.levels as Record<string, unknown>[])[1]!.minGroupSize,
    ],
  ])("rejects a document with %s, in the JSON Schema and in the engine alike", (_name, spoil) => {
    const doc = read("classification-v1.json");
    spoil(doc);
    expect(validate(doc)).toBe(false);
    expect(classificationRulesSchema.safeParse(doc).success).toBe(false);
  });

  it("maps GB/T 43697-2024's categories: general (graded), important and core, with core never released", () => {
    const categories = defaultClassificationRules.levels.map((l) => [l.level, l.category, l.release]);
    expect(categories).toEqual([
      [1, "general", "row-level"],
      [2, "general", "aggregate"],
      [3, "important", "privacy-computing"],
      [4, "core", "never"],
    ]);
  });

  it("fingerprints the content, so an edit without a new version number shows", () => {
    const edited = {
      ...defaultClassificationRules,
      levels: defaultClassificationRules.levels.map((l) => ({ ...l, minGroupSize: l.minGroupSize + 1 })),
    };
    expect(rulesFingerprint(edited)).not.toBe(rulesFingerprint(defaultClassificationRules));
    expect(rulesFingerprint(edited).startsWith("classification@2#")).toBe(true);
  });

  it("handles a result level with no rule of its own under the next stricter one", () => {
    expect(resultHandling(defaultClassificationRules, 3)).toEqual(resultHandling(defaultClassificationRules, 4));
    expect(resultHandling(defaultClassificationRules, 1).en).toMatch(/plain/);
  });
});
