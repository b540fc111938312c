import { formAllowed, grantCoversDataset, isWithin, releaseFormOf, ruleObligations } from "./coverage.js";
import type { ClassificationRules } from "./rules.js";
import { levelRule } from "./rules.js";
import type { ComputeMode, DatasetView, Excess, GrantView, QueryShape } from "./types.js";

const excess = (tier: Excess["tier"], rule: string, en: string, zh: string): Excess => ({
  tier,
  rule,
  reason: { en, zh },
});

export interface GrantScope {
  regions: string[];
  sectors: string[];
  computeModes: ComputeMode[];
  maxLevel: number;
  validFrom: string;
  validUntil: string;
}

/** What a grant asks beyond one upper grant, in words (empty when the upper grant covers it). */
function beyond(scope: GrantScope, upper: GrantView): Excess[] {
  const found: Excess[] = [];
  const regions = scope.regions.filter((r) => !upper.regions.includes(r));
  const sectors = scope.sectors.filter((s) => !upper.sectors.includes(s));
  const modes = scope.computeModes.filter((m) => !upper.computeModes.includes(m));
  const t = upper.tier;
  if (regions.length) found.push(excess(t, "regions", `regions ${regions.join(", ")}`, `地区 ${regions.join("、")}`));
  if (sectors.length) found.push(excess(t, "sectors", `sectors ${sectors.join(", ")}`, `领域 ${sectors.join("、")}`));
  if (modes.length)
    found.push(excess(t, "compute-modes", `compute modes ${modes.join(", ")}`, `计算方式 ${modes.join("、")}`));
  if (scope.maxLevel > upper.maxLevel) {
    found.push(
      excess(
        t,
        "max-level",
        `level ${scope.maxLevel} above ${upper.maxLevel}`,
        `级别 ${scope.maxLevel} 高于 ${upper.maxLevel}`,
      ),
    );
  }
  if (
    Date.parse(scope.validFrom) < Date.parse(upper.validFrom) ||
    Date.parse(scope.validUntil) > Date.parse(upper.validUntil)
  ) {
    found.push(
      excess(
        t,
        "validity",
        `validity beyond ${upper.validFrom} – ${upper.validUntil}`,
        `有效期超出 ${upper.validFrom} 至 ${upper.validUntil}`,
      ),
    );
  }
  return found;
}

/**
 * A sector grant must lie inside one comprehensive grant of the same operator that is active now.
 * Returns what it asks beyond the closest such grant; empty when one covers it.
 */
export function sectorGrantExcess(scope: GrantScope, comprehensive: GrantView[], at: string): Excess[] {
  const usable = comprehensive.filter(
    (g) => g.tier === "comprehensive" && g.status === "active" && Date.parse(g.validUntil) > Date.parse(at),
  );
  if (usable.length === 0) {
    return [
      excess(
        "comprehensive",
        "comprehensive-exists",
        "the operator holds no active comprehensive authorisation",
        "该运营方没有有效的综合授权",
      ),
    ];
  }
  return usable.map((g) => beyond(scope, g)).reduce((a, b) => (b.length < a.length ? b : a));
}

export interface ScenarioProposal {
  operatorId: string;
  fields: string[];
  computeModes: ComputeMode[];
  queryShapes: QueryShape[];
  minGroupSize: number;
  epsilonPerQueryMicro: number;
  validFrom: string;
  validUntil: string;
}

/**
 * A scenario must lie inside the operator's sector and comprehensive grants and inside the
 * classification rules. Returns everything it asks beyond them; empty when it may be proposed.
 */
export function scenarioProposalExcess(
  proposal: ScenarioProposal,
  context: { grants: GrantView[]; datasets: DatasetView[]; rules: ClassificationRules; at: string },
): Excess[] {
  const found: Excess[] = [];
  const levelsByDataset = new Map<DatasetView, number[]>();
  for (const qualified of proposal.fields) {
    const dot = qualified.indexOf(".");
    const dataset = context.datasets.find((d) => d.id === qualified.slice(0, dot));
    const field = dataset?.fields.find((f) => f.name === qualified.slice(dot + 1));
    if (!dataset || !field) {
      found.push(
        excess(
          "scenario",
          "field-registered",
          `${qualified} is not a registered field`,
          `${qualified} 不是已登记的字段`,
        ),
      );
      continue;
    }
    levelsByDataset.set(dataset, [...(levelsByDataset.get(dataset) ?? []), field.level]);
  }

  const window = { validFrom: proposal.validFrom, validUntil: proposal.validUntil };
  for (const [dataset, levels] of levelsByDataset) {
    const top = Math.max(...levels);
    for (const tier of ["comprehensive", "sector"] as const) {
      const candidates = context.grants.filter(
        (g) =>
          g.tier === tier &&
          g.operatorId === proposal.operatorId &&
          g.status === "active" &&
          grantCoversDataset(g, dataset),
      );
      const scope: GrantScope = {
        regions: [dataset.region],
        sectors: [dataset.sector],
        computeModes: proposal.computeModes,
        maxLevel: top,
        ...window,
      };
      const gaps = candidates.map((g) => beyond(scope, g));
      const best = gaps.length ? gaps.reduce((a, b) => (b.length < a.length ? b : a)) : null;
      if (best === null) {
        found.push(
          excess(
            tier,
            `${tier}-covers`,
            `no active ${tier} authorisation covers dataset ${dataset.id} (${dataset.sector}, region ${dataset.region})`,
            `没有有效的${tier === "comprehensive" ? "综合" : "领域"}授权覆盖数据集 ${dataset.id}`,
          ),
        );
      } else {
        found.push(
          ...best.map((e) => ({
            ...e,
            reason: { en: `dataset ${dataset.id}: ${e.reason.en}`, zh: `数据集 ${dataset.id}：${e.reason.zh}` },
          })),
        );
      }
    }
  }

  const levels = [...levelsByDataset.values()].flat();
  for (const level of new Set(levels)) {
    const rule = levelRule(context.rules, level);
    if (!rule || rule.release === "never") {
      found.push(
        excess(
          "classification",
          `level-${level}-never`,
          `level ${level} fields may never be used`,
          `${level} 级字段不得使用`,
        ),
      );
      continue;
    }
    for (const mode of proposal.computeModes) {
      for (const shape of proposal.queryShapes) {
        const form = releaseFormOf(mode, shape);
        if (!formAllowed(rule, form)) {
          found.push(
            excess(
              "classification",
              `level-${level}-${rule.release}`,
              `level ${level} fields may leave only as ${rule.release}, not as ${form} (${shape} by ${mode})`,
              `${level} 级字段只能以 ${rule.release} 形式提供，不能以 ${form} 形式（${mode} 方式 ${shape}）提供`,
            ),
          );
        }
      }
    }
  }
  const obligations = ruleObligations(context.rules, levels);
  if (levels.length && proposal.minGroupSize < obligations.minGroupSize) {
    found.push(
      excess(
        "classification",
        "min-group-size",
        `k ${proposal.minGroupSize} is below the ${obligations.minGroupSize} these fields' levels require`,
        `最小分组 k=${proposal.minGroupSize} 低于字段级别要求的 ${obligations.minGroupSize}`,
      ),
    );
  }
  if (levels.length && obligations.requiresDp && proposal.epsilonPerQueryMicro === 0) {
    found.push(
      excess(
        "classification",
        "dp-required",
        "these fields' levels require differential privacy: ε per query must be above 0",
        "字段级别要求差分隐私，单次 ε 必须大于 0",
      ),
    );
  }
  if (!isWithin(window, proposal.validFrom)) {
    found.push(excess("scenario", "validity", "the validity window is empty", "有效期为空"));
  }
  return dedupe(found);
}

function dedupe(list: Excess[]): Excess[] {
  const seen = new Set<string>();
  return list.filter((e) => {
    const key = `${e.tier}|${e.rule}|${e.reason.en}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
