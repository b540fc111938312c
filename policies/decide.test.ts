import { describe, expect, it } from "vitest";
import { decide, decisionHash } from "./decide.js";
import { defaultClassificationRules } from "./rules.js";
import type { DecisionRequest, DecisionState, GrantView } from "./types.js";

const window = { validFrom: "2026-01-01T00:00:00.000Z", validUntil: "2027-01-01T00:00:00.000Z" };
const comprehensive: GrantView = {
  id: "g_c",
  tier: "comprehensive",
  operatorId: "op",
  regions: ["330100"],
  sectors: ["tax", "social-insurance"],
  datasetIds: null,
  computeModes: ["mpc"],
  maxLevel: 3,
  status: "active",
  ...window,
};
const sectorTax: GrantView = { ...comprehensive, id: "g_t", tier: "sector", sectors: ["tax"] };
const sectorSi: GrantView = { ...comprehensive, id: "g_s", tier: "sector", sectors: ["social-insurance"] };

function state(overrides: Partial<DecisionState> = {}): DecisionState {
  return {
    operator: { id: "op", role: "operator", status: "active" },
    grants: [comprehensive, sectorTax, sectorSi],
    datasets: [
      { id: "ds_tax", ownerId: "tax", sector: "tax", region: "330100", fields: [{ name: "wages_fen", level: 2 }] },
      {
        id: "ds_si",
        ownerId: "si",
        sector: "social-insurance",
        region: "330100",
        fields: [{ name: "wages_fen", level: 3 }],
      },
    ],
    scenario: {
      id: "sc",
      operatorId: "op",
      datasetIds: ["ds_tax", "ds_si"],
      fields: ["ds_tax.wages_fen", "ds_si.wages_fen"],
      computeModes: ["mpc"],
      aggregates: ["sum"],
      minGroupSize: 10,
      epsilonPerQuery: 0.5,
      epsilonBudget: 5,
      epsilonSpent: 0,
      queryQuota: 100,
      queriesUsed: 0,
      pricePerQueryFen: 500,
      status: "active",
      approvals: [
        { ownerId: "tax", decision: "approved" },
        { ownerId: "si", decision: "approved" },
      ],
      ...window,
    },
    rules: defaultClassificationRules,
    ...overrides,
  };
}

const request: DecisionRequest = {
  operatorId: "op",
  scenarioId: "sc",
  computeMode: "mpc",
  aggregate: "sum",
  fields: ["ds_tax.wages_fen", "ds_si.wages_fen"],
  at: "2026-06-01T00:00:00.000Z",
};

describe("decide", () => {
  it("allows a query every tier covers, with the scenario's obligations", () => {
    const decision = decide(request, state());
    expect(decision).toEqual({
      effect: "allow",
      obligations: {
        minGroupSize: 10,
        epsilon: 0.5,
        priceFen: 500,
        ownerIds: ["si", "tax"],
        datasetIds: ["ds_si", "ds_tax"],
      },
      policyVersions: { classification: "1" },
    });
  });

  it("gives the same hash for the same inputs and a different one when an input changes", () => {
    const a = decisionHash(request, state(), decide(request, state()));
    expect(decisionHash(request, state(), decide(request, state()))).toBe(a);
    const later = { ...request, at: "2026-06-02T00:00:00.000Z" };
    expect(decisionHash(later, state(), decide(later, state()))).not.toBe(a);
  });

  const denials: [string, DecisionRequest, DecisionState, string, string][] = [
    ["an unknown operator", request, state({ operator: null }), "participant", "operator-admitted"],
    [
      "a revoked operator",
      request,
      state({ operator: { id: "op", role: "operator", status: "revoked" } }),
      "participant",
      "operator-admitted",
    ],
    [
      "a participant that is not an operator",
      request,
      state({ operator: { id: "op", role: "owner", status: "active" } }),
      "participant",
      "operator-admitted",
    ],
    ["a missing scenario", request, state({ scenario: null }), "scenario", "scenario-exists"],
    [
      "a field that is not registered",
      { ...request, fields: ["ds_tax.secret"] },
      state(),
      "scenario",
      "field-registered",
    ],
    [
      "no comprehensive grant",
      request,
      state({ grants: [sectorTax, sectorSi] }),
      "comprehensive",
      "comprehensive-covers",
    ],
    [
      "an expired comprehensive grant",
      { ...request, at: "2027-02-01T00:00:00.000Z" },
      state(),
      "comprehensive",
      "comprehensive-covers",
    ],
    [
      "a comprehensive grant below the field level",
      request,
      state({ grants: [{ ...comprehensive, maxLevel: 2 }, sectorTax, sectorSi] }),
      "comprehensive",
      "comprehensive-covers",
    ],
    [
      "a comprehensive grant outside the region",
      request,
      state({ grants: [{ ...comprehensive, regions: ["110000"] }, sectorTax, sectorSi] }),
      "comprehensive",
      "comprehensive-covers",
    ],
    [
      "a suspended comprehensive grant",
      request,
      state({ grants: [{ ...comprehensive, status: "suspended" }, sectorTax, sectorSi] }),
      "comprehensive",
      "comprehensive-covers",
    ],
    ["a missing sector grant", request, state({ grants: [comprehensive, sectorTax] }), "sector", "sector-covers"],
    [
      "a sector grant for another mode",
      request,
      state({ grants: [comprehensive, sectorTax, { ...sectorSi, computeModes: ["psi"] }] }),
      "sector",
      "sector-covers",
    ],
  ];
  it.each(denials)("denies %s", (_name, req, st, tier, rule) => {
    const decision = decide(req, st);
    expect(decision.effect).toBe("deny");
    if (decision.effect === "deny") {
      expect([decision.tier, decision.rule]).toEqual([tier, rule]);
      expect(decision.reason.en.length).toBeGreaterThan(10);
      expect(decision.reason.zh.length).toBeGreaterThan(5);
    }
  });

  const sc = state().scenario!;
  it.each([
    ["a scenario still proposed", { ...sc, status: "proposed" }, "scenario-active"],
    ["a scenario outside its window", { ...sc, validUntil: "2026-03-01T00:00:00.000Z" }, "scenario-active"],
    [
      "a scenario one owner has not approved",
      {
        ...sc,
        approvals: [
          { ownerId: "tax", decision: "approved" as const },
          { ownerId: "si", decision: "pending" as const },
        ],
      },
      "owners-approved",
    ],
    ["a field outside the scenario", { ...sc, fields: ["ds_tax.wages_fen"] }, "scenario-fields"],
    ["an aggregate outside the scenario", { ...sc, aggregates: ["count"] }, "scenario-query-shape"],
    ["a used-up quota", { ...sc, queriesUsed: 100 }, "scenario-quota"],
  ])("denies %s", (_name, scenario, rule) => {
    const decision = decide(request, state({ scenario }));
    expect(decision.effect === "deny" && [decision.tier, decision.rule]).toEqual(["scenario", rule]);
  });

  it("denies core data even when every grant covers it", () => {
    const st = state({ grants: [{ ...comprehensive, maxLevel: 4 }, { ...sectorTax, maxLevel: 4 }, sectorSi] });
    st.datasets[0]!.fields[0]!.level = 4;
    const decision = decide(request, st);
    expect(decision.effect === "deny" && [decision.tier, decision.rule]).toEqual(["classification", "level-4-never"]);
  });

  it("fails closed when the state is malformed", () => {
    const decision = decide(request, { ...state(), grants: null as unknown as GrantView[] });
    expect(decision.effect).toBe("deny");
  });
});
