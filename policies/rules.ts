import { z } from "zod";
import classificationV1 from "./rules/classification-v1.json" with { type: "json" };

export const RELEASE_FORMS = ["row-level", "aggregate", "privacy-computing", "never"] as const;
export type ReleaseForm = (typeof RELEASE_FORMS)[number];

export const classificationRulesSchema = z.object({
  $schema: z.string().optional(),
  id: z.literal("classification"),
  version: z.string().min(1),
  standard: z.string(),
  levels: z
    .array(
      z.object({
        level: z.number().int().min(1),
        name: z.object({ zh: z.string(), en: z.string() }),
        release: z.enum(RELEASE_FORMS),
      }),
    )
    .min(1),
});

export type ClassificationRules = z.infer<typeof classificationRulesSchema>;

/** The rule document in force by default; later versions are new files beside it. */
export const defaultClassificationRules: ClassificationRules = classificationRulesSchema.parse(classificationV1);
