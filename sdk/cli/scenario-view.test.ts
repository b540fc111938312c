import { describe, expect, it } from "vitest";
import { describeScenario } from "./scenario-view.js";

describe("a scenario as the owner's clerk reads it", () => {
  it("says, for a joined scenario, which columns are joined with which and what leaves", () => {
    const text = describeScenario({
      id: "sc_1",
      status: "proposed",
      purpose: "Tax by insured headcount",
      fields: ["ds_tax.uscc", "ds_tax.tax_paid_fen", "ds_si.uscc", "ds_si.insured_employees"],
      computeModes: ["join"],
      queryShapes: ["mean"],
      minGroupSize: 20,
      approvals: [{ ownerId: "owner_tax", decision: "approve", reason: null }],
    });
    expect(text.split("\n")).toEqual([
      "sc_1: proposed",
      "  purpose: Tax by insured headcount",
      "  joined across departments on the entity key (compute mode join):",
      "    ds_tax: uscc, tax_paid_fen",
      "    ds_si: uscc, insured_employees",
      "  what leaves: mean over the joined rows only, each group of fewer than 20 withheld;",
      "  no row, no key and not which of your keys the others hold (compute/README.md, Joined aggregates)",
      "  owner_tax: approve",
    ]);
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
    expect(text.split("\n").slice(1, 4)).toEqual([
      "  scored across departments: the operator's encrypted model weighs, each at its own node (a vertical score):",
      "    ds_tax: uscc, employees",
      "    ds_si: uscc, insured_employees",
    ]);
    expect(text).toMatch(/encrypted scores only the operator opens/);
    // One department's scoring is not across departments.
    expect(
      describeScenario({
        id: "sc_4",
        status: "active",
        computeModes: ["he"],
        queryShapes: ["he-score"],
        fields: ["a.x", "a.y"],
      }),
    ).toBe("sc_4: active");
  });

  it("says nothing of joins for a scenario that does not join", () => {
    expect(describeScenario({ id: "sc_2", status: "active", computeModes: ["mpc"], fields: ["a.b"] })).toBe(
      "sc_2: active",
    );
  });
});
