import { describe, expect, it } from "vitest";
import { type ScenarioProposal, scenarioProposalExcess, sectorGrantExcess } from "./proposals.js";
import { defaultClassificationRules } from "./rules.js";
import { comprehensive, sectorSi, sectorTax, state, WINDOW } from "./test-fixtures.js";

const at = "2026-06-01T00:00:00.000Z";
const scope = { regions: ["330100"], sectors: ["tax"], computeModes: ["mpc" as const], maxLevel: 3, ...WINDOW };

describe("a sector grant inside the comprehensive one", () => {
  it("passes when a comprehensive grant covers it", () => {
    expect(sectorGrantExcess(scope, [comprehensive], at)).toEqual([]);
  });

  it("names each excess: region, sector, mode, level and validity", () => {
    const excess = sectorGrantExcess(
      {
        regions: ["330100", "110000"],
        sectors: ["tax", "health"],
        computeModes: ["mpc"],
        maxLevel: 4,
        validFrom: WINDOW.validFrom,
        validUntil: "2028-01-01T00:00:00.000Z",
      },
      [{ ...comprehensive, computeModes: ["plain", "mpc"] }],
      at,
    );
    expect(excess.map((e) => e.rule)).toEqual(["regions", "sectors", "max-level", "validity"]);
    expect(excess[0]?.reason).toEqual({ en: "regions 110000", zh: "地区 110000" });
  });

  it("measures against the closest comprehensive grant", () => {
    const far = { ...comprehensive, id: "far", regions: ["110000"], sectors: ["health"] };
    expect(sectorGrantExcess({ ...scope, maxLevel: 4 }, [far, comprehensive], at).map((e) => e.rule)).toEqual([
      "max-level",
    ]);
  });

  it("refuses when the operator has no usable comprehensive grant", () => {
    for (const grants of [
      [],
      [{ ...comprehensive, status: "revoked" as const }],
      [{ ...comprehensive, validUntil: "2026-02-01T00:00:00.000Z" }],
    ]) {
      expect(sectorGrantExcess(scope, grants, at).map((e) => e.rule)).toEqual(["comprehensive-exists"]);
    }
  });
});

describe("a scenario proposal inside the grants and the rules", () => {
  const proposal: ScenarioProposal = {
    operatorId: "op",
    fields: ["ds_tax.wages_fen", "ds_si.wages_fen"],
    computeModes: ["mpc"],
    queryShapes: ["sum"],
    minGroupSize: 20,
    epsilonPerQueryMicro: 500_000,
    ...WINDOW,
  };
  const context = {
    grants: [comprehensive, sectorTax, sectorSi],
    datasets: state().datasets,
    rules: defaultClassificationRules,
    at,
  };
  const rules = (p: Partial<ScenarioProposal>, c: Partial<typeof context> = {}) =>
    scenarioProposalExcess({ ...proposal, ...p }, { ...context, ...c }).map((e) => `${e.tier}:${e.rule}`);

  it("passes when every tier and rule covers it", () => expect(rules({})).toEqual([]));
  it("names an unregistered field", () =>
    expect(rules({ fields: ["ds_tax.nope"] })).toEqual(["scenario:field-registered"]));
  it("names a missing sector grant", () =>
    expect(rules({}, { grants: [comprehensive, sectorTax] })).toEqual(["sector:sector-covers"]));
  it("names a missing comprehensive grant", () =>
    expect(rules({}, { grants: [sectorTax, sectorSi] })).toEqual([
      "comprehensive:comprehensive-covers",
      "comprehensive:comprehensive-covers",
    ]));
  it("names a compute mode the sector grant lacks", () =>
    expect(rules({ computeModes: ["mpc", "he"] })).toContain("sector:compute-modes"));
  it("names a validity beyond the grants", () =>
    expect(rules({ validUntil: "2028-01-01T00:00:00.000Z" })).toEqual([
      "comprehensive:validity",
      "sector:validity",
      "comprehensive:validity",
      "sector:validity",
    ]));
  it("names a level above the grants", () => {
    expect(rules({}, { grants: [{ ...comprehensive, maxLevel: 2 }, sectorTax, sectorSi] })).toEqual([
      "comprehensive:max-level",
    ]);
  });
  it("names core data", () => {
    const grants = [{ ...comprehensive, maxLevel: 4 }, { ...sectorTax, maxLevel: 4 }, sectorSi];
    expect(rules({ fields: ["ds_tax.secret_core"] }, { grants })).toEqual(["classification:level-4-never"]);
  });
  it("names a release form the level forbids", () => {
    const grants = [
      comprehensive,
      { ...sectorTax, computeModes: ["plain" as const, "mpc" as const] },
      { ...sectorSi, computeModes: ["plain" as const, "mpc" as const] },
    ];
    expect(rules({ computeModes: ["plain"], queryShapes: ["row"] }, { grants })).toEqual([
      "classification:level-2-aggregate",
      "classification:level-3-privacy-computing",
    ]);
  });
  it("names a k below the rules' minimum", () =>
    expect(rules({ minGroupSize: 5 })).toEqual(["classification:min-group-size"]));
  it("names missing noise for important data", () =>
    expect(rules({ epsilonPerQueryMicro: 0 })).toEqual(["classification:dp-required"]));
});
