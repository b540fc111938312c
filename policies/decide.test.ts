import { describe, expect, it } from "vitest";
import { decide, decisionHash } from "./decide.js";
import { CLASSIFICATION_RULES, type ClassificationRules, rulesFingerprint } from "./rules.js";
import { comprehensive, request, scenario, sectorSi, sectorTax, state } from "./test-fixtures.js";
import type { Decision, DecisionRequest, DecisionState } from "./types.js";

const denial = (d: Decision) => (d.effect === "deny" ? [d.tier, d.rule] : ["allowed", d.effect]);

describe("decide", () => {
  it("allows a query every tier covers, with the obligations of the scenario and the rules", () => {
    const decision = decide(request, state());
    expect(decision).toMatchObject({
      effect: "allow",
      obligations: {
        minGroupSize: 20, // level 3 asks k ≥ 20, more than the scenario's 10
        epsilonMicro: 100_000,
        dpMechanism: "discrete-laplace",
        priceFen: 500,
        ownerIds: ["si", "tax"],
        datasetIds: ["ds_si", "ds_tax"],
        requiresResultReview: false,
        resultClassification: { level: 2, category: "general" },
      },
      policyVersions: { classification: expect.stringMatching(/^classification@2#[0-9a-f]{16}$/) },
    });
  });

  it("is deterministic: the same inputs give the same decision and hash, byte for byte", () => {
    const first = decide(request, state());
    expect(JSON.stringify(decide(request, state()))).toBe(JSON.stringify(first));
    expect(decisionHash(request, state(), first)).toBe(decisionHash(request, state(), decide(request, state())));
    const later = { ...request, at: "2026-06-02T00:00:00.000Z" };
    expect(decisionHash(later, state(), decide(later, state()))).not.toBe(decisionHash(request, state(), first));
  });

  it("grades a result from general fields as general, and releases level-2 data only with noise", () => {
    const general = state({ scenario: { ...scenario, approvals: [{ ownerId: "tax", decision: "approved" }] } });
    const noisy = decide({ ...request, fields: ["ds_tax.wages_fen"] }, general);
    expect(noisy).toMatchObject({
      effect: "allow",
      obligations: {
        minGroupSize: 10,
        dpMechanism: "discrete-laplace",
        resultClassification: { level: 1, category: "general" },
      },
    });
    const exact = decide({ ...request, fields: ["ds_tax.wages_fen"], epsilonMicro: 0 }, general);
    expect(denial(exact)).toEqual(["classification", "level-2-dp"]);
  });

  it("still decides under the rules a decision named (version 1 released level 2 exactly), for a replay", () => {
    const v1 = [...CLASSIFICATION_RULES.values()].find((r) => r.version === "1") as ClassificationRules;
    const plain = { ...request, fields: ["ds_tax.wages_fen"], epsilonMicro: 0 };
    const decision = decide(
      plain,
      state({
        scenario: { ...scenario, approvals: [{ ownerId: "tax", decision: "approved" }] },
        rules: rulesFingerprint(v1),
      }),
    );
    expect(decision).toMatchObject({ effect: "allow", obligations: { dpMechanism: "none" } });
  });

  const st = state();
  const grantsWith = (...changes: Partial<typeof comprehensive>[]) => [
    { ...comprehensive, ...changes[0] },
    { ...sectorTax, ...changes[1] },
    { ...sectorSi, ...changes[2] },
  ];
  const cases: [string, DecisionRequest, DecisionState, string, string][] = [
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
      "another operator's scenario",
      request,
      state({ scenario: { ...scenario, operatorId: "other" } }),
      "scenario",
      "scenario-exists",
    ],
    ["a query naming no field", { ...request, fields: [] }, st, "scenario", "fields-named"],
    ["a field that is not registered", { ...request, fields: ["ds_tax.nope"] }, st, "scenario", "field-registered"],
    ["a dataset outside the scenario", { ...request, fields: ["ds_other.x"] }, st, "scenario", "field-registered"],
    [
      "no comprehensive grant",
      request,
      state({ grants: [sectorTax, sectorSi] }),
      "comprehensive",
      "comprehensive-covers",
    ],
    [
      "a comprehensive grant not yet valid",
      { ...request, at: "2025-12-01T00:00:00.000Z" },
      st,
      "comprehensive",
      "comprehensive-covers",
    ],
    [
      "an expired comprehensive grant",
      { ...request, at: "2027-02-01T00:00:00.000Z" },
      st,
      "comprehensive",
      "comprehensive-covers",
    ],
    [
      "a comprehensive grant below the field level",
      request,
      state({ grants: grantsWith({ maxLevel: 2 }) }),
      "comprehensive",
      "comprehensive-covers",
    ],
    [
      "a comprehensive grant outside the region",
      request,
      state({ grants: grantsWith({ regions: ["110000"] }) }),
      "comprehensive",
      "comprehensive-covers",
    ],
    [
      "a comprehensive grant outside the sector",
      request,
      state({ grants: grantsWith({ sectors: ["tax"] }) }),
      "comprehensive",
      "comprehensive-covers",
    ],
    [
      "a suspended comprehensive grant",
      request,
      state({ grants: grantsWith({ status: "suspended" }) }),
      "comprehensive",
      "comprehensive-covers",
    ],
    [
      "a revoked comprehensive grant",
      request,
      state({ grants: grantsWith({ status: "revoked" }) }),
      "comprehensive",
      "comprehensive-covers",
    ],
    [
      "another operator's comprehensive grant",
      request,
      state({ grants: grantsWith({ operatorId: "other" }) }),
      "comprehensive",
      "comprehensive-covers",
    ],
    ["a missing sector grant", request, state({ grants: [comprehensive, sectorTax] }), "sector", "sector-covers"],
    [
      "a sector grant for another mode",
      request,
      state({ grants: grantsWith({}, {}, { computeModes: ["psi"] }) }),
      "sector",
      "sector-covers",
    ],
    [
      "a sector grant below the field level",
      request,
      state({ grants: grantsWith({}, {}, { maxLevel: 2 }) }),
      "sector",
      "sector-covers",
    ],
    [
      "a sector grant naming other datasets",
      request,
      state({ grants: grantsWith({}, {}, { datasetIds: ["ds_x"] }) }),
      "sector",
      "sector-covers",
    ],
    [
      "a sector grant naming another category",
      request,
      state({ grants: grantsWith({}, {}, { categories: ["other-category"] }) }),
      "sector",
      "sector-covers",
    ],
    [
      "a suspended sector grant",
      request,
      state({ grants: grantsWith({}, { status: "suspended" }) }),
      "sector",
      "sector-covers",
    ],
    [
      "a scenario still proposed",
      request,
      state({ scenario: { ...scenario, status: "proposed" } }),
      "scenario",
      "scenario-active",
    ],
    [
      "a rejected scenario",
      request,
      state({ scenario: { ...scenario, status: "rejected" } }),
      "scenario",
      "scenario-active",
    ],
    [
      "a suspended scenario",
      request,
      state({ scenario: { ...scenario, status: "suspended" } }),
      "scenario",
      "scenario-active",
    ],
    [
      "a revoked scenario",
      request,
      state({ scenario: { ...scenario, status: "revoked" } }),
      "scenario",
      "scenario-active",
    ],
    [
      "a scenario needing re-approval",
      request,
      state({ scenario: { ...scenario, status: "needs_reapproval" } }),
      "scenario",
      "scenario-active",
    ],
    [
      "a scenario past its window",
      request,
      state({ scenario: { ...scenario, validUntil: "2026-03-01T00:00:00.000Z" } }),
      "scenario",
      "scenario-active",
    ],
    [
      "an approved scenario before its window",
      request,
      state({ scenario: { ...scenario, status: "approved", validFrom: "2026-07-01T00:00:00.000Z" } }),
      "scenario",
      "scenario-active",
    ],
    [
      "a scenario one owner has not approved",
      request,
      state({
        scenario: {
          ...scenario,
          approvals: [
            { ownerId: "si", decision: "pending" },
            { ownerId: "tax", decision: "approved" },
          ],
        },
      }),
      "scenario",
      "owners-approved",
    ],
    [
      "a scenario missing an owner's approval row",
      request,
      state({ scenario: { ...scenario, approvals: [{ ownerId: "tax", decision: "approved" }] } }),
      "scenario",
      "owners-approved",
    ],
    [
      "a field outside the scenario",
      request,
      state({ scenario: { ...scenario, fields: ["ds_tax.wages_fen"] } }),
      "scenario",
      "scenario-fields",
    ],
    [
      "a compute mode outside the scenario",
      { ...request, computeMode: "he" },
      state({ grants: grantsWith({}, { computeModes: ["he"] }, { computeModes: ["he"] }) }),
      "scenario",
      "scenario-compute-mode",
    ],
    ["a query shape outside the scenario", { ...request, queryShape: "mean" }, st, "scenario", "scenario-query-shape"],
    ["a used-up quota", request, state({ scenario: { ...scenario, queriesUsed: 100 } }), "scenario", "scenario-quota"],
    [
      "more ε than one query may ask",
      { ...request, epsilonMicro: 600_000 },
      st,
      "scenario",
      "scenario-epsilon-per-query",
    ],
    ["a negative ε", { ...request, epsilonMicro: -1 }, st, "scenario", "scenario-epsilon-per-query"],
    ["a fractional micro-ε", { ...request, epsilonMicro: 0.5 }, st, "scenario", "scenario-epsilon-per-query"],
    [
      "more ε than is left",
      request,
      state({ scenario: { ...scenario, epsilonSpentMicro: 4_950_000 } }),
      "scenario",
      "scenario-epsilon-budget",
    ],
    ["important data without noise", { ...request, epsilonMicro: 0 }, st, "classification", "level-3-dp"],
  ];
  it.each(cases)("denies %s", (_name, req, s, tier, rule) => {
    const decision = decide(req, s);
    expect(denial(decision)).toEqual([tier, rule]);
    if (decision.effect === "deny") {
      expect(decision.reason.en.length).toBeGreaterThan(15);
      expect(decision.reason.zh.length).toBeGreaterThan(5);
      expect(decision.policyVersions.classification).toMatch(/^classification@2#/);
    }
  });

  it("denies under rules that are not a published version, naming them", () => {
    const unpublished = "classification@1#0123456789abcdef";
    const decision = decide(request, state({ rules: unpublished }));
    expect(denial(decision)).toEqual(["classification", "rules-published"]);
    expect(decision.policyVersions).toEqual({ classification: unpublished });
  });

  describe("classification rules", () => {
    const plainScenario = {
      ...scenario,
      computeModes: ["plain" as const, "mpc" as const],
      queryShapes: ["row" as const, "sum" as const],
      fields: ["ds_tax.wages_fen", "ds_tax.district", "ds_si.wages_fen", "ds_tax.secret_core"],
    };
    const plainGrants = [
      comprehensive,
      { ...sectorTax, computeModes: ["plain" as const, "mpc" as const], maxLevel: 4 },
      { ...sectorSi, computeModes: ["plain" as const, "mpc" as const] },
    ];
    const s = state({ scenario: plainScenario, grants: [{ ...comprehensive, maxLevel: 4 }, ...plainGrants.slice(1)] });
    const ask = (fields: string[], computeMode: "plain" | "mpc", queryShape: "row" | "sum", epsilonMicro = 0) =>
      decide({ ...request, fields, computeMode, queryShape, epsilonMicro }, s);

    it("lets level 1 leave as rows", () => expect(ask(["ds_tax.district"], "plain", "row").effect).toBe("allow"));
    it("refuses level 2 as rows", () =>
      expect(denial(ask(["ds_tax.wages_fen"], "plain", "row"))).toEqual(["classification", "level-2-aggregate"]));
    it("lets level 2 leave as a plain aggregate, with noise", () => {
      expect(ask(["ds_tax.wages_fen"], "plain", "sum", 100_000).effect).toBe("allow");
      expect(denial(ask(["ds_tax.wages_fen"], "plain", "sum"))).toEqual(["classification", "level-2-dp"]);
    });
    it("refuses level 3 as a plain aggregate", () =>
      expect(denial(ask(["ds_si.wages_fen"], "plain", "sum", 100_000))).toEqual([
        "classification",
        "level-3-privacy-computing",
      ]));
    it("lets level 3 leave through privacy computing with noise", () =>
      expect(ask(["ds_si.wages_fen"], "mpc", "sum", 100_000).effect).toBe("allow"));
    it("never lets core data leave, in any form", () => {
      expect(denial(ask(["ds_tax.secret_core"], "mpc", "sum", 100_000))).toEqual(["classification", "level-4-never"]);
      expect(denial(ask(["ds_tax.secret_core"], "plain", "row"))).toEqual(["classification", "level-4-never"]);
    });
    it("treats a level the rules do not define as never", () => {
      const odd = state({
        ...s,
        datasets: s.datasets.map((d) => ({ ...d, fields: d.fields.map((f) => ({ ...f, level: 9 })) })),
      });
      odd.grants = odd.grants.map((g) => ({ ...g, maxLevel: 9 }));
      expect(
        denial(
          decide(
            { ...request, fields: ["ds_tax.district"], computeMode: "plain", queryShape: "row", epsilonMicro: 0 },
            { ...odd, scenario: plainScenario },
          ),
        ),
      ).toEqual(["classification", "level-9-never"]);
    });
  });

  it("fails closed when the state is malformed", () => {
    const decision = decide(request, { ...state(), grants: null as unknown as DecisionState["grants"] });
    expect(denial(decision)).toEqual(["participant", "engine-error"]);
  });
});
