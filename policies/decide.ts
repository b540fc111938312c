import { canonicalHash } from "../lib/canonical-json.js";
import type { DatasetView, Decision, DecisionRequest, DecisionState, GrantView, Tier } from "./types.js";

type Denial = { tier: Tier; rule: string; en: string; zh: string };

function isValidAt(window: { validFrom: string; validUntil: string }, at: string): boolean {
  const t = Date.parse(at);
  return Date.parse(window.validFrom) <= t && t < Date.parse(window.validUntil);
}

function grantCovers(grant: GrantView, dataset: DatasetView, levels: number[], mode: string, at: string): boolean {
  return (
    grant.status === "active" &&
    isValidAt(grant, at) &&
    grant.regions.includes(dataset.region) &&
    grant.sectors.includes(dataset.sector) &&
    (grant.datasetIds === null || grant.datasetIds.includes(dataset.id)) &&
    grant.computeModes.includes(mode as GrantView["computeModes"][number]) &&
    levels.every((level) => level <= grant.maxLevel)
  );
}

function requestedLevels(request: DecisionRequest, datasets: DatasetView[]): Map<string, number[]> | Denial {
  const byDataset = new Map<string, number[]>();
  for (const qualified of request.fields) {
    const dot = qualified.indexOf(".");
    const datasetId = qualified.slice(0, dot);
    const fieldName = qualified.slice(dot + 1);
    const field = datasets.find((d) => d.id === datasetId)?.fields.find((f) => f.name === fieldName);
    if (dot < 1 || !field) {
      return {
        tier: "scenario",
        rule: "field-registered",
        en: `field ${qualified} is not a registered field of a dataset in this scenario`,
        zh: `字段 ${qualified} 不是本场景数据集中已登记的字段`,
      };
    }
    byDataset.set(datasetId, [...(byDataset.get(datasetId) ?? []), field.level]);
  }
  return byDataset;
}

function findDenial(request: DecisionRequest, state: DecisionState): Denial | null {
  const { operator, scenario, rules } = state;
  if (!operator || operator.role !== "operator" || operator.status !== "active") {
    return {
      tier: "participant",
      rule: "operator-admitted",
      en: `${request.operatorId} is not an admitted, active operator`,
      zh: `${request.operatorId} 不是已准入且有效的运营方`,
    };
  }
  if (!scenario || scenario.operatorId !== request.operatorId) {
    return {
      tier: "scenario",
      rule: "scenario-exists",
      en: `scenario ${request.scenarioId} does not exist for this operator`,
      zh: `该运营方没有场景 ${request.scenarioId}`,
    };
  }
  const levels = requestedLevels(request, state.datasets);
  if (!(levels instanceof Map)) return levels;

  for (const [datasetId, datasetLevels] of levels) {
    const dataset = state.datasets.find((d) => d.id === datasetId) as DatasetView;
    const comprehensive = state.grants.filter((g) => g.tier === "comprehensive" && g.operatorId === operator.id);
    if (!comprehensive.some((g) => grantCovers(g, dataset, datasetLevels, request.computeMode, request.at))) {
      return {
        tier: "comprehensive",
        rule: "comprehensive-covers",
        en: `no active comprehensive authorisation covers dataset ${datasetId} (region ${dataset.region}, sector ${dataset.sector}, level ${Math.max(...datasetLevels)}, mode ${request.computeMode})`,
        zh: `没有有效的综合授权覆盖数据集 ${datasetId}（地区 ${dataset.region}，领域 ${dataset.sector}，级别 ${Math.max(...datasetLevels)}，计算方式 ${request.computeMode}）`,
      };
    }
    const sector = state.grants.filter((g) => g.tier === "sector" && g.operatorId === operator.id);
    if (!sector.some((g) => grantCovers(g, dataset, datasetLevels, request.computeMode, request.at))) {
      return {
        tier: "sector",
        rule: "sector-covers",
        en: `no active sector authorisation for sector ${dataset.sector} covers dataset ${datasetId} in mode ${request.computeMode}`,
        zh: `没有有效的 ${dataset.sector} 领域授权以 ${request.computeMode} 方式覆盖数据集 ${datasetId}`,
      };
    }
  }

  if (scenario.status !== "active" || !isValidAt(scenario, request.at)) {
    return {
      tier: "scenario",
      rule: "scenario-active",
      en: `scenario ${scenario.id} is ${scenario.status === "active" ? "outside its validity window" : scenario.status}, not active`,
      zh: `场景 ${scenario.id} 当前不可用（${scenario.status === "active" ? "不在有效期内" : scenario.status}）`,
    };
  }
  const pending = scenario.approvals.filter((a) => a.decision !== "approved").map((a) => a.ownerId);
  if (pending.length > 0) {
    return {
      tier: "scenario",
      rule: "owners-approved",
      en: `scenario ${scenario.id} lacks approval from ${pending.join(", ")}`,
      zh: `场景 ${scenario.id} 尚未获得以下数据持有方批准：${pending.join("、")}`,
    };
  }
  const outside = request.fields.filter((f) => !scenario.fields.includes(f));
  if (outside.length > 0) {
    return {
      tier: "scenario",
      rule: "scenario-fields",
      en: `fields ${outside.join(", ")} are not approved in scenario ${scenario.id}`,
      zh: `字段 ${outside.join("、")} 不在场景 ${scenario.id} 批准范围内`,
    };
  }
  if (!scenario.computeModes.includes(request.computeMode) || !scenario.aggregates.includes(request.aggregate)) {
    return {
      tier: "scenario",
      rule: "scenario-query-shape",
      en: `${request.aggregate} by ${request.computeMode} is not an approved query shape of scenario ${scenario.id}`,
      zh: `以 ${request.computeMode} 计算 ${request.aggregate} 不是场景 ${scenario.id} 批准的查询形式`,
    };
  }
  if (scenario.queriesUsed >= scenario.queryQuota) {
    return {
      tier: "scenario",
      rule: "scenario-quota",
      en: `scenario ${scenario.id} has used its quota of ${scenario.queryQuota} queries`,
      zh: `场景 ${scenario.id} 已用完 ${scenario.queryQuota} 次查询配额`,
    };
  }

  for (const datasetLevels of levels.values()) {
    for (const level of datasetLevels) {
      const release = rules.levels.find((l) => l.level === level)?.release ?? "never";
      const allowed = release === "row-level" || release === "aggregate" || release === "privacy-computing";
      if (!allowed) {
        return {
          tier: "classification",
          rule: `level-${level}-${release}`,
          en: `level ${level} data may never be used for authorised operation`,
          zh: `${level} 级数据不得用于授权运营`,
        };
      }
    }
  }
  return null;
}

/**
 * The authorisation decision: pure and deterministic. A query is allowed only when the
 * comprehensive, sector and scenario tiers and the classification rules all cover it.
 *
 * @example
 * const decision = decide(request, state);
 * if (decision.effect === "deny") console.log(decision.tier, decision.reason.en);
 */
export function decide(request: DecisionRequest, state: DecisionState): Decision {
  const policyVersions = { [state.rules.id]: state.rules.version };
  let denial: Denial | null;
  try {
    denial = findDenial(request, state);
  } catch (cause) {
    // Fail closed: anything unexpected inside authorisation is a deny.
    denial = {
      tier: "participant",
      rule: "engine-error",
      en: `authorisation failed: ${String(cause)}`,
      zh: "授权判断出错",
    };
  }
  if (denial) {
    return {
      effect: "deny",
      tier: denial.tier,
      rule: denial.rule,
      reason: { en: denial.en, zh: denial.zh },
      policyVersions,
    };
  }
  const scenario = state.scenario as NonNullable<DecisionState["scenario"]>;
  const datasetIds = [...new Set(request.fields.map((f) => f.slice(0, f.indexOf("."))))].sort();
  const ownerIds = [...new Set(state.datasets.filter((d) => datasetIds.includes(d.id)).map((d) => d.ownerId))].sort();
  return {
    effect: "allow",
    obligations: {
      minGroupSize: scenario.minGroupSize,
      epsilon: scenario.epsilonPerQuery,
      priceFen: scenario.pricePerQueryFen,
      ownerIds,
      datasetIds,
    },
    policyVersions,
  };
}

/** The hash a regulator recomputes: the decision together with every input it was made from. */
export function decisionHash(request: DecisionRequest, state: DecisionState, decision: Decision): string {
  return canonicalHash({ request, state, decision });
}
