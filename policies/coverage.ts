import type { ClassificationRules, LevelRule, ReleaseForm } from "./rules.js";
import { levelRule, RELEASE_FORMS } from "./rules.js";
import type { ComputeMode, DatasetView, GrantView, QueryShape, ScenarioStatus, ScenarioView } from "./types.js";

type Window = { validFrom: string; validUntil: string };
// Grants and scenarios are read far more often than written: their parsed windows are kept per object.
const parsedWindows = new WeakMap<Window, { from: number; until: number; validFrom: string; validUntil: string }>();

function parseWindow(window: Window) {
  const known = parsedWindows.get(window);
  if (known && known.validFrom === window.validFrom && known.validUntil === window.validUntil) return known;
  const parsed = {
    from: Date.parse(window.validFrom),
    until: Date.parse(window.validUntil),
    validFrom: window.validFrom,
    validUntil: window.validUntil,
  };
  parsedWindows.set(window, parsed);
  return parsed;
}

/** Whether `at` (an ISO instant, or epoch ms) lies in [validFrom, validUntil). */
export function isWithin(window: Window, at: string | number): boolean {
  const t = typeof at === "number" ? at : Date.parse(at);
  const { from, until } = parseWindow(window);
  return from <= t && t < until;
}

/** A scenario's status at a moment: approved becomes active inside its window, and anything usable expires after it. */
export function scenarioStatusAt(
  scenario: Pick<ScenarioView, "status" | "validFrom" | "validUntil">,
  at: string,
): ScenarioStatus {
  const t = Date.parse(at);
  const { from, until } = parseWindow(scenario);
  if ((scenario.status === "approved" || scenario.status === "active") && t >= until) return "expired";
  if (scenario.status === "approved" && t >= from) return "active";
  if (scenario.status === "active" && t < from) return "approved";
  return scenario.status;
}

/** The form in which a result leaves its owners: privacy computing, a plain aggregate, or rows. */
export function releaseFormOf(mode: ComputeMode, shape: QueryShape): Exclude<ReleaseForm, "never"> {
  if (mode !== "plain") return "privacy-computing";
  return shape === "row" ? "row-level" : "aggregate";
}

/** Whether a level's rule lets data leave in this form (each level allows its own form and stronger ones). */
export function formAllowed(rule: LevelRule | undefined, form: ReleaseForm): boolean {
  if (!rule || rule.release === "never") return false;
  return RELEASE_FORMS.indexOf(form) >= RELEASE_FORMS.indexOf(rule.release);
}

export function grantCoversDataset(grant: GrantView, dataset: DatasetView): boolean {
  if (!grant.regions.includes(dataset.region) || !grant.sectors.includes(dataset.sector)) return false;
  if (grant.datasetIds === null && grant.categories === null) return true;
  return (grant.datasetIds?.includes(dataset.id) ?? false) || (grant.categories?.includes(dataset.category) ?? false);
}

/** A grant covers a use of a dataset when it is active at `at` and its scope, level and modes include it. */
export function grantCovers(
  grant: GrantView,
  dataset: DatasetView,
  maxLevel: number,
  mode: ComputeMode,
  at: string,
): boolean {
  return (
    grant.status === "active" &&
    isWithin(grant, at) &&
    grantCoversDataset(grant, dataset) &&
    grant.computeModes.includes(mode) &&
    maxLevel <= grant.maxLevel
  );
}

/** The strictest obligations the classification rules put on a set of field levels. */
export function ruleObligations(rules: ClassificationRules, levels: number[]) {
  let minGroupSize = 0;
  let requiresDp = false;
  let resultLevel = 1;
  for (const level of levels) {
    const rule = levelRule(rules, level);
    minGroupSize = Math.max(minGroupSize, rule?.minGroupSize ?? Number.MAX_SAFE_INTEGER);
    requiresDp ||= rule?.requiresDp ?? true;
    resultLevel = Math.max(resultLevel, rule?.resultLevel ?? level);
  }
  return { minGroupSize, requiresDp, resultLevel };
}
