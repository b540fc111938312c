import { describe, expect, it } from "vitest";
import { describeScenario } from "./scenario-view.js";

const terms = {
  operatorId: "demo_bank",
  datasetIds: ["ds_tax", "ds_si"],
  datasetVersions: { ds_tax: 1, ds_si: 3 },
  minGroupSize: 20,
  epsilonPerQuery: 0.5,
  epsilonBudget: 10,
  epsilonSpent: 1.5,
  queryQuota: 1_000,
  queriesUsed: 3,
  pricePerQueryFen: 150_000,
  platformShareBasisPoints: 1_000,
  ownerShareBasisPoints: { owner_tax: 6_000, owner_si: 3_000 },
  requiresResultReview: false,
  validFrom: "2026-12-01T00:00:00.000Z",
  validUntil: "2027-12-01T00:00:00.000Z",
};

describe("a scenario as the owner's clerk reads it", () => {
  it("shows every term an owner signs, and for a joined scenario which columns are joined with which and what leaves", () => {
    const text = describeScenario({
      id: "sc_1",
      status: "proposed",
      purpose: "Tax by insured headcount",
      fields: ["ds_tax.uscc", "ds_tax.tax_paid_fen", "ds_si.uscc", "ds_si.insured_employees"],
      computeModes: ["join"],
      queryShapes: ["mean"],
      ...terms,
      approvals: [
        { ownerId: "owner_tax", decision: "approved", reason: null, decidedAt: "2026-12-02T02:00:00.000Z" },
        { ownerId: "owner_si", decision: "pending", reason: null, decidedAt: null },
      ],
    });
    expect(text.split("\n")).toEqual([
      "sc_1: proposed",
      "  purpose: Tax by insured headcount",
      "  operator: demo_bank",
      "  datasets: ds_tax (version 1), ds_si (version 3)",
      "  fields:",
      "    ds_tax: uscc, tax_paid_fen",
      "    ds_si: uscc, insured_employees",
      "  computed by: joined across departments on the entity key (join)",
      "  what may be asked: means (mean)",
      "  smallest group released (k): 20",
      "  privacy budget ε: 0.5 a query, 10 in all (1.5 spent)",
      "  queries: 1,000 in all (3 used)",
      "  price: 1,500.00 元 a query, shared: the platform 10%, owner_tax 60%, owner_si 30%",
      "  results reviewed by the owners before release: no",
      "  valid: 2026-12-01 08:00 (Asia/Shanghai) to 2027-12-01 08:00 (Asia/Shanghai)",
      "  joined across departments on the entity key (compute mode join):",
      "    ds_tax: uscc, tax_paid_fen",
      "    ds_si: uscc, insured_employees",
      "  what leaves: mean over the joined rows only, each group of fewer than 20 withheld;",
      "  no row, no key and not which of your keys the others hold (compute/README.md, Joined aggregates)",
      "  decisions:",
      "    owner_tax: approved 2026-12-02 10:00 (Asia/Shanghai)",
      "    owner_si: pending",
      "  an owner approves with: sluice approve <id>   (its signature covers the terms above), or rejects with: sluice reject <id> --reason <why>",
    ]);
  });

  it("shows no remaining quota or ε for a rejected scenario, and names an automatic approval's rule", () => {
    const text = describeScenario({
      id: "sc_5",
      status: "rejected",
      computeModes: ["mpc"],
      queryShapes: ["sum"],
      fields: ["ds_tax.tax_paid_fen"],
      ...terms,
      approvals: [
        { ownerId: "owner_tax", decision: "rejected", reason: "purpose too broad", decidedBy: "owner_tax" },
        { ownerId: "owner_si", decision: "approved", reason: null, decidedBy: "auto-rule:rule_7" },
      ],
    });
    expect(text).toMatch(/privacy budget ε: 0\.5 a query, 10 in all\n/);
    expect(text).toMatch(/queries: 1,000 in all\n/);
    expect(text).not.toMatch(/spent|used/);
    expect(text).toMatch(/owner_tax: rejected \(purpose too broad\)/);
    expect(text).toMatch(/owner_si: approved by its rule rule_7/);
    expect(text).not.toMatch(/sluice approve/);
  });

  it("says, for a vertical score, whose columns the model weighs and what leaves", () => {
    const text = describeScenario({
      id: "sc_3",
      status: "proposed",
      fields: ["ds_tax.uscc", "ds_tax.employees", "ds_si.uscc", "ds_si.insured_employees"],
      computeModes: ["he"],
      queryShapes: ["he-score"],
      approvals: [],
    });
    expect(text).toMatch(
      /scored across departments: the operator's encrypted model weighs, each at its own node \(a vertical score\):\n {4}ds_tax: uscc, employees\n {4}ds_si: uscc, insured_employees/,
    );
    expect(text).toMatch(/encrypted scores only the operator opens/);
    // One department's scoring is not across departments.
    expect(
      describeScenario({
        id: "sc_4",
        status: "active",
        computeModes: ["he"],
        queryShapes: ["he-score"],
        fields: ["a.x"],
      }),
    ).not.toMatch(/across departments/);
  });

  it("says nothing of joins for a scenario that does not join", () => {
    const text = describeScenario({ id: "sc_2", status: "active", computeModes: ["mpc"], fields: ["a.b"] });
    expect(text).toMatch(/computed by: secure multi-party computation across the owners' nodes \(mpc\)/);
    expect(text).not.toMatch(/joined/);
  });
});
