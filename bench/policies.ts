import { createSeededRandom } from "../compute/demo/synthetic.js";
import {
  type ComputeMode,
  type DatasetView,
  type DecisionRequest,
  type DecisionState,
  decide,
  decisionHash,
  defaultRulesFingerprint,
  type GrantView,
  type ScenarioView,
} from "../policies/index.js";
import { percentile, report } from "./report.js";

// The decision engine on a warm, indexed state: 1,000 datasets, 10,000 scenarios across 500
// operators, and a mix of allowed and denied requests. One core (this process, one thread).
const DATASETS = 1_000;
const SCENARIOS = 10_000;
const OPERATORS = 500;
const DECISIONS = Number(process.env.BENCH_POLICIES_DECISIONS ?? 200_000);

const random = createSeededRandom("policies-bench");
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(items: readonly T[]) => items[int(items.length)] as T;
const SECTORS = Array.from({ length: 10 }, (_, i) => `sector-${i}`);
const REGIONS = Array.from({ length: 20 }, (_, i) => String(330100 + i * 100));
const MODES: ComputeMode[] = ["plain", "mpc", "he", "psi"];
const window = { validFrom: "2026-01-01T00:00:00.000Z", validUntil: "2027-12-31T00:00:00.000Z" };

const datasets = new Map<string, DatasetView>();
for (let i = 0; i < DATASETS; i++) {
  datasets.set(`ds_${i}`, {
    id: `ds_${i}`,
    ownerId: `owner_${i % 80}`,
    sector: pick(SECTORS),
    category: `cat-${int(30)}`,
    region: pick(REGIONS),
    version: 1,
    fields: Array.from({ length: 5 + int(16) }, (_, j) => ({
      name: `f${j}`,
      level: 1 + Math.min(3, Math.floor(random() ** 1.5 * 4)),
    })),
  });
}
const datasetList = [...datasets.values()];
for (const d of datasetList) d.fields[0] = { name: "f0", level: 1 };

const grantsByOperator = new Map<string, GrantView[]>();
for (let o = 0; o < OPERATORS; o++) {
  const operatorId = `op_${o}`;
  const sectors = [...new Set(Array.from({ length: 4 }, () => pick(SECTORS)))];
  const regions = [...new Set(Array.from({ length: 8 }, () => pick(REGIONS)))];
  const grants: GrantView[] = [
    {
      id: `g_${o}_c`,
      tier: "comprehensive",
      operatorId,
      regions,
      sectors,
      datasetIds: null,
      categories: null,
      computeModes: MODES,
      maxLevel: 3,
      status: "active",
      ...window,
    },
    ...sectors.map(
      (sector, s): GrantView => ({
        id: `g_${o}_s${s}`,
        tier: "sector",
        operatorId,
        regions,
        sectors: [sector],
        datasetIds: null,
        categories: null,
        computeModes: ["mpc", "psi", "plain"],
        maxLevel: 2 + int(2),
        status: random() < 0.95 ? "active" : "suspended",
        ...window,
      }),
    ),
  ];
  grantsByOperator.set(operatorId, grants);
}

const scenarios = new Map<string, ScenarioView>();
for (let i = 0; i < SCENARIOS; i++) {
  const operatorId = `op_${i % OPERATORS}`;
  // Most scenarios stay inside the operator's grants, as the gateway's proposal check makes them.
  const comprehensive = (grantsByOperator.get(operatorId) as GrantView[])[0] as GrantView;
  const inScope = datasetList.filter(
    (d) => comprehensive.regions.includes(d.region) && comprehensive.sectors.includes(d.sector),
  );
  const pool = inScope.length && random() < 0.9 ? inScope : datasetList;
  const used = Array.from({ length: 1 + int(2) }, () => pick(pool));
  const fields = used.flatMap((d) =>
    d.fields
      .filter((f) => f.level <= 2)
      .slice(0, 1 + int(4))
      .map((f) => `${d.id}.${f.name}`),
  );
  scenarios.set(`sc_${i}`, {
    id: `sc_${i}`,
    operatorId,
    datasetIds: [...new Set(used.map((d) => d.id))].sort(),
    fields,
    computeModes: ["mpc"],
    queryShapes: ["sum", "count", "mean"],
    minGroupSize: 10,
    epsilonPerQueryMicro: 1_000_000,
    epsilonBudgetMicro: 100_000_000,
    epsilonSpentMicro: int(50_000_000),
    queryQuota: 10_000,
    queriesUsed: int(10_000),
    pricePerQueryFen: 100 + int(1_000),
    requiresResultReview: false,
    status: random() < 0.9 ? "active" : "suspended",
    approvals: [...new Set(used.map((d) => d.ownerId))]
      .sort()
      .map((ownerId) => ({ ownerId, decision: random() < 0.97 ? "approved" : "pending" })),
    ...window,
  });
}

const operators = new Map(
  Array.from({ length: OPERATORS }, (_, o) => [`op_${o}`, { id: `op_${o}`, role: "operator", status: "active" }]),
);
const scenarioList = [...scenarios.values()];

/** The per-request view the gateway assembles: Map lookups into the warm index, then the engine. */
function stateFor(request: DecisionRequest): DecisionState {
  const scenario = scenarios.get(request.scenarioId) ?? null;
  return {
    operator: operators.get(request.operatorId) ?? null,
    grants: grantsByOperator.get(request.operatorId) ?? [],
    scenario,
    datasets: scenario ? scenario.datasetIds.map((id) => datasets.get(id) as DatasetView) : [],
    rules: defaultRulesFingerprint,
  };
}

const requests: DecisionRequest[] = Array.from({ length: 10_000 }, () => {
  const scenario = pick(scenarioList);
  const fields = scenario.fields.filter(() => random() < 0.6);
  return {
    operatorId: random() < 0.97 ? scenario.operatorId : `op_${int(OPERATORS)}`,
    scenarioId: scenario.id,
    computeMode: random() < 0.9 ? "mpc" : "he",
    queryShape: random() < 0.9 ? "sum" : "histogram",
    fields: fields.length ? fields : [scenario.fields[0] as string],
    epsilonMicro: random() < 0.8 ? 500_000 : 0,
    at: "2026-06-01T00:00:00.000Z",
  };
});

let allowed = 0;
for (let i = 0; i < 20_000; i++)
  decide(requests[i % requests.length] as DecisionRequest, stateFor(requests[i % requests.length] as DecisionRequest));

const latencies = new Float64Array(DECISIONS);
for (let i = 0; i < DECISIONS; i++) {
  const request = requests[i % requests.length] as DecisionRequest;
  const start = performance.now();
  const decision = decide(request, stateFor(request));
  latencies[i] = (performance.now() - start) * 1_000;
  if (decision.effect === "allow") allowed += 1;
}
const sorted = Array.from(latencies).sort((a, b) => a - b);

const started = process.hrtime.bigint();
for (let i = 0; i < DECISIONS; i++) {
  const request = requests[i % requests.length] as DecisionRequest;
  decide(request, stateFor(request));
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;

const hashed: number[] = [];
for (let i = 0; i < 20_000; i++) {
  const request = requests[i % requests.length] as DecisionRequest;
  const start = process.hrtime.bigint();
  const state = stateFor(request);
  decisionHash(request, state, decide(request, state));
  hashed.push(Number(process.hrtime.bigint() - start) / 1_000);
}
hashed.sort((a, b) => a - b);

const context = {
  datasets: DATASETS,
  scenarios: SCENARIOS,
  decisions: DECISIONS,
  allowedShare: Number((allowed / DECISIONS).toFixed(3)),
};
report("policies", "decision_p50_us", percentile(sorted, 50), "µs", context);
report("policies", "decision_p99_us", percentile(sorted, 99), "µs", context);
report("policies", "decisions_per_s", DECISIONS / seconds, "decisions/s", context);
report("policies", "decision_with_hash_p50_us", percentile(hashed, 50), "µs", {
  note: "decide + RFC 8785 canonical SHA-256 of inputs and decision",
});
