import { canonicalHash } from "../lib/canonical-json.js";
import { formAllowed, grantCovers, releaseFormOf, ruleObligations, scenarioStatusAt } from "./coverage.js";
import { type ClassificationRules, levelRule, publishedRules, resultHandling } from "./rules.js";
import type { Bilingual, DatasetView, Decision, DecisionRequest, DecisionState, Tier } from "./types.js";
import { MICRO_EPSILON } from "./types.js";

interface Denial {
  tier: Tier;
  rule: string;
  reason: Bilingual;
}

const deny = (tier: Tier, rule: string, en: string, zh: string): Denial => ({ tier, rule, reason: { en, zh } });
const eps = (micro: number) => (micro / MICRO_EPSILON).toString();

const STATUS_ZH: Record<string, string> = {
  proposed: "待审批",
  approved: "已批准但未生效",
  rejected: "已被拒绝",
  suspended: "已暂停",
  revoked: "已撤销",
  expired: "已过期",
  needs_reapproval: "因数据集变更待重新审批",
};

function fieldLevels(request: DecisionRequest, datasets: DatasetView[]): Map<DatasetView, number[]> | Denial {
  const byDataset = new Map<DatasetView, number[]>();
  for (const qualified of request.fields) {
    const dot = qualified.indexOf(".");
    const dataset = dot > 0 ? datasets.find((d) => d.id === qualified.slice(0, dot)) : undefined;
    const field = dataset?.fields.find((f) => f.name === qualified.slice(dot + 1));
    if (!dataset || !field) {
      return deny(
        "scenario",
        "field-registered",
        `${qualified} is not a registered field of a dataset in this scenario`,
        `字段 ${qualified} 不是本场景所用数据集中已登记的字段`,
      );
    }
    const levels = byDataset.get(dataset);
    if (levels) levels.push(field.level);
    else byDataset.set(dataset, [field.level]);
  }
  return byDataset;
}

/** The first rule that denies the request, or the field levels by dataset when none does. */
function findDenial(
  request: DecisionRequest,
  state: DecisionState,
  rules: ClassificationRules | undefined,
): Denial | Map<DatasetView, number[]> {
  const { operator, scenario } = state;
  if (!rules) {
    return deny(
      "classification",
      "rules-published",
      `the classification rules ${state.rules} are not a published version`,
      `分类分级规则 ${state.rules} 不是已发布的版本`,
    );
  }
  if (!operator || operator.role !== "operator" || operator.status !== "active" || operator.id !== request.operatorId) {
    return deny(
      "participant",
      "operator-admitted",
      `${request.operatorId} is not an admitted, active operator`,
      `${request.operatorId} 不是已准入且有效的运营方`,
    );
  }
  if (!scenario || scenario.id !== request.scenarioId || scenario.operatorId !== request.operatorId) {
    return deny(
      "scenario",
      "scenario-exists",
      `this operator has no scenario ${request.scenarioId}`,
      `该运营方没有场景 ${request.scenarioId}`,
    );
  }
  if (request.fields.length === 0)
    return deny("scenario", "fields-named", "the query names no field", "查询未指定任何字段");
  const levels = fieldLevels(request, state.datasets);
  if (!(levels instanceof Map)) return levels;

  for (const [dataset, datasetLevels] of levels) {
    const top = Math.max(...datasetLevels);
    const covered = (tier: "comprehensive" | "sector") =>
      state.grants.some(
        (g) =>
          g.tier === tier &&
          g.operatorId === operator.id &&
          grantCovers(g, dataset, top, request.computeMode, request.at),
      );
    if (!covered("comprehensive")) {
      return deny(
        "comprehensive",
        "comprehensive-covers",
        `no active comprehensive authorisation covers dataset ${dataset.id} (region ${dataset.region}, sector ${dataset.sector}, level ${top}) at this time`,
        `当前没有有效的综合授权覆盖数据集 ${dataset.id}（地区 ${dataset.region}，领域 ${dataset.sector}，级别 ${top}）`,
      );
    }
    if (!covered("sector")) {
      return deny(
        "sector",
        "sector-covers",
        `no active ${dataset.sector} sector authorisation covers dataset ${dataset.id} at level ${top} by ${request.computeMode}`,
        `当前没有有效的 ${dataset.sector} 领域授权以 ${request.computeMode} 方式覆盖数据集 ${dataset.id}（级别 ${top}）`,
      );
    }
  }

  const status = scenarioStatusAt(scenario, request.at);
  if (status !== "active") {
    return deny(
      "scenario",
      "scenario-active",
      `scenario ${scenario.id} is ${status.replace("_", " ")}, not active`,
      `场景 ${scenario.id} ${STATUS_ZH[status] ?? status}，不可使用`,
    );
  }
  const pending = scenario.approvals.filter((a) => a.decision !== "approved").map((a) => a.ownerId);
  if (pending.length > 0 || scenario.approvals.length === 0) {
    return deny(
      "scenario",
      "owners-approved",
      `scenario ${scenario.id} lacks approval from ${pending.join(", ") || "its owners"}`,
      `场景 ${scenario.id} 尚未获得数据持有方批准：${pending.join("、")}`,
    );
  }
  const ownersNeeded = [...levels.keys()]
    .map((d) => d.ownerId)
    .filter((o) => !scenario.approvals.some((a) => a.ownerId === o));
  if (ownersNeeded.length > 0) {
    return deny(
      "scenario",
      "owners-approved",
      `scenario ${scenario.id} has no approval from ${ownersNeeded.join(", ")}`,
      `场景 ${scenario.id} 没有 ${ownersNeeded.join("、")} 的批准`,
    );
  }
  const outside = request.fields.filter((f) => !scenario.fields.includes(f));
  if (outside.length > 0) {
    return deny(
      "scenario",
      "scenario-fields",
      `${outside.join(", ")} ${outside.length > 1 ? "are" : "is"} not approved in scenario ${scenario.id}`,
      `字段 ${outside.join("、")} 不在场景 ${scenario.id} 的批准范围内`,
    );
  }
  if (!scenario.computeModes.includes(request.computeMode)) {
    return deny(
      "scenario",
      "scenario-compute-mode",
      `scenario ${scenario.id} does not allow computing by ${request.computeMode}`,
      `场景 ${scenario.id} 不允许以 ${request.computeMode} 方式计算`,
    );
  }
  if (!scenario.queryShapes.includes(request.queryShape)) {
    return deny(
      "scenario",
      "scenario-query-shape",
      `scenario ${scenario.id} does not allow ${request.queryShape} queries`,
      `场景 ${scenario.id} 不允许 ${request.queryShape} 类查询`,
    );
  }
  if (scenario.queriesUsed >= scenario.queryQuota) {
    return deny(
      "scenario",
      "scenario-quota",
      `scenario ${scenario.id} has used all ${scenario.queryQuota} of its queries`,
      `场景 ${scenario.id} 已用完 ${scenario.queryQuota} 次查询配额`,
    );
  }
  if (
    !Number.isInteger(request.epsilonMicro) ||
    request.epsilonMicro < 0 ||
    request.epsilonMicro > scenario.epsilonPerQueryMicro
  ) {
    return deny(
      "scenario",
      "scenario-epsilon-per-query",
      `ε ${eps(request.epsilonMicro)} is more than the ${eps(scenario.epsilonPerQueryMicro)} this scenario allows per query`,
      `隐私预算 ε=${eps(request.epsilonMicro)} 超过本场景单次上限 ${eps(scenario.epsilonPerQueryMicro)}`,
    );
  }
  if (scenario.epsilonSpentMicro + request.epsilonMicro > scenario.epsilonBudgetMicro) {
    return deny(
      "scenario",
      "scenario-epsilon-budget",
      `scenario ${scenario.id} has ε ${eps(scenario.epsilonBudgetMicro - scenario.epsilonSpentMicro)} left, less than the ${eps(request.epsilonMicro)} asked`,
      `场景 ${scenario.id} 剩余隐私预算 ${eps(scenario.epsilonBudgetMicro - scenario.epsilonSpentMicro)}，不足本次所需 ${eps(request.epsilonMicro)}`,
    );
  }

  const form = releaseFormOf(request.computeMode, request.queryShape);
  for (const datasetLevels of levels.values()) {
    for (const level of datasetLevels) {
      const rule = levelRule(rules, level);
      if (!rule || rule.release === "never") {
        return deny(
          "classification",
          `level-${level}-never`,
          `level ${level} (${rule?.name.en ?? "not in the rules"}) may never be used for authorised operation`,
          `${level} 级（${rule?.name.zh ?? "规则未定义"}）数据不得用于授权运营`,
        );
      }
      if (!formAllowed(rule, form)) {
        return deny(
          "classification",
          `level-${level}-${rule.release}`,
          `level ${level} (${rule.name.en}) may leave its owner only as ${rule.release}, not as ${form}`,
          `${level} 级（${rule.name.zh}）数据只能以 ${rule.release} 形式提供，不能以 ${form} 形式提供`,
        );
      }
      if (rule.requiresDp && request.epsilonMicro === 0) {
        return deny(
          "classification",
          `level-${level}-dp`,
          `level ${level} (${rule.name.en}) results must carry differential-privacy noise: ask for ε > 0`,
          `${level} 级（${rule.name.zh}）结果必须加入差分隐私噪声，请设置 ε > 0`,
        );
      }
    }
  }
  return levels;
}

/**
 * The authorisation decision: pure and deterministic. A query is allowed only when the
 * comprehensive, sector and scenario tiers and the classification rules all cover it.
 *
 * @example
 * const decision = decide(request, state);
 * if (decision.effect === "deny") console.log(decision.tier, decision.rule, decision.reason.zh);
 */
export function decide(request: DecisionRequest, state: DecisionState): Decision {
  let policyVersions: Record<string, string> = {};
  let outcome: Denial | Map<DatasetView, number[]>;
  const rules = typeof state.rules === "string" ? publishedRules(state.rules) : undefined;
  try {
    policyVersions = { [String(state.rules).split("@")[0] ?? "classification"]: String(state.rules) };
    outcome = findDenial(request, state, rules);
  } catch (cause) {
    // Fail closed: anything unexpected inside authorisation denies.
    outcome = deny(
      "participant",
      "engine-error",
      `the authorisation could not be evaluated: ${String(cause)}`,
      "授权判断出错，已拒绝",
    );
  }
  if (!(outcome instanceof Map)) return { effect: "deny", ...outcome, policyVersions };

  const scenario = state.scenario as NonNullable<DecisionState["scenario"]>;
  const used = [...outcome.keys()];
  const levels = [...outcome.values()].flat();
  const published = rules as ClassificationRules;
  const byRules = ruleObligations(published, levels);
  const resultLevel = levelRule(published, byRules.resultLevel);
  return {
    effect: "allow",
    obligations: {
      minGroupSize: Math.max(scenario.minGroupSize, byRules.minGroupSize),
      epsilonMicro: request.epsilonMicro,
      dpMechanism: request.epsilonMicro > 0 ? "discrete-laplace" : "none",
      priceFen: scenario.pricePerQueryFen,
      ownerIds: [...new Set(used.map((d) => d.ownerId))].sort(),
      datasetIds: used.map((d) => d.id).sort(),
      requiresResultReview: scenario.requiresResultReview,
      resultClassification: {
        level: byRules.resultLevel,
        category: resultLevel?.category ?? "core",
        handling: resultHandling(published, byRules.resultLevel),
      },
    },
    policyVersions,
  };
}

/** The hash a regulator recomputes: the decision together with every input it was made from. */
export function decisionHash(request: DecisionRequest, state: DecisionState, decision: Decision): string {
  return canonicalHash({ request, state, decision });
}
