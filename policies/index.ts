/**
 * The authorisation engine: pure functions, no I/O.
 *
 * @example
 * const decision = decide(request, { operator, grants, scenario, datasets, rules: defaultClassificationRules });
 */
export { decide, decisionHash } from "./decide.js";
export { type ClassificationRules, classificationRulesSchema, defaultClassificationRules } from "./rules.js";
export type * from "./types.js";
