import { describe, expect, it } from "vitest";
import { type AutoApprovalRule, autoApprovalMismatch } from "./auto-approval.js";
import { state } from "./test-fixtures.js";

const rule: AutoApprovalRule = {
  id: "rule_1",
  ownerId: "tax",
  operatorIds: ["op"],
  maxLevel: 2,
  computeModes: ["mpc", "plain"],
  queryShapes: ["count", "sum", "mean"],
  minGroupSize: 10,
  maxEpsilonPerQueryMicro: 1_000_000,
  active: true,
};
const scenario = {
  operatorId: "op",
  fields: ["ds_tax.wages_fen", "ds_si.wages_fen"],
  computeModes: ["mpc" as const],
  queryShapes: ["sum" as const],
  minGroupSize: 10,
  epsilonPerQueryMicro: 500_000,
};
const datasets = state().datasets;

describe("owner auto-approval rules", () => {
  it("approves a listed operator's aggregate over general fields with k ≥ 10, judging only the owner's own fields", () => {
    // ds_si.wages_fen is level 3, but it belongs to another owner: the tax bureau's rule looks at its own data.
    expect(autoApprovalMismatch(rule, scenario, datasets)).toBeNull();
  });

  it.each([
    ["an operator that is not listed", { operatorId: "stranger" }, {}, /not listed/],
    ["a field above the rule's level", { fields: ["ds_tax.secret_core"] }, {}, /level 4, above 2/],
    ["a compute mode the rule does not allow", { computeModes: ["psi" as const] }, {}, /compute modes psi/],
    ["row-level access", { queryShapes: ["row" as const] }, {}, /query shapes row/],
    ["a smaller k", { minGroupSize: 5 }, {}, /k 5 is below 10/],
    ["more ε than the rule allows", { epsilonPerQueryMicro: 2_000_000 }, {}, /ε per query/],
    ["a rule that is switched off", {}, { active: false }, /switched off/],
  ])("does not approve %s", (_name, change, ruleChange, reason) => {
    expect(autoApprovalMismatch({ ...rule, ...ruleChange }, { ...scenario, ...change }, datasets)).toMatch(reason);
  });

  it("trusts any operator when the rule lists none", () => {
    expect(
      autoApprovalMismatch({ ...rule, operatorIds: null }, { ...scenario, operatorId: "anyone" }, datasets),
    ).toBeNull();
  });
});
