import { describe, expect, it } from "vitest";
import { joinFromSql } from "./sql.js";

const FROM = "FROM ds_enterprise_tax tax JOIN ds_social_insurance si ON tax.uscc = si.uscc";

describe("SQL for analysts, turned into the structured joined query", () => {
  it("reads the issue's own example: the mean tax of well-insured enterprises per district", () => {
    expect(
      joinFromSql(
        `SELECT tax.district, AVG(tax.tax_paid_fen) ${FROM} WHERE si.insured_employees >= 50 AND tax.district IN ('330102', '330105') GROUP BY tax.district`,
      ),
    ).toEqual({
      queryShape: "mean",
      on: [
        { datasetId: "ds_enterprise_tax", keyField: "uscc" },
        { datasetId: "ds_social_insurance", keyField: "uscc" },
      ],
      measure: "ds_enterprise_tax.tax_paid_fen",
      filters: [{ field: "ds_social_insurance.insured_employees", op: ">=", value: 50 }],
      groupBy: { field: "ds_enterprise_tax.district", values: ["330102", "330105"] },
    });
  });

  it("reads counts, sums and variances, three datasets, BETWEEN, IN, <> and negative numbers", () => {
    const three = `${FROM} INNER JOIN ds_market m ON m.uscc = si.uscc`;
    expect(joinFromSql(`SELECT COUNT(*) ${three} WHERE m.arrears = 'no' AND si.wages_fen BETWEEN 0 AND 100`)).toEqual({
      queryShape: "count",
      on: [
        { datasetId: "ds_enterprise_tax", keyField: "uscc" },
        { datasetId: "ds_social_insurance", keyField: "uscc" },
        { datasetId: "ds_market", keyField: "uscc" },
      ],
      filters: [
        { field: "ds_market.arrears", op: "=", value: "no" },
        { field: "ds_social_insurance.wages_fen", op: "between", min: 0, max: 100 },
      ],
    });
    expect(joinFromSql(`SELECT SUM(si.wages_fen) ${FROM} WHERE tax.industry <> 'C13' AND tax.x > -5`)).toMatchObject({
      queryShape: "sum",
      measure: "ds_social_insurance.wages_fen",
      filters: [
        { field: "ds_enterprise_tax.industry", op: "!=", value: "C13" },
        { field: "ds_enterprise_tax.x", op: ">", value: -5 },
      ],
    });
    expect(joinFromSql(`SELECT VARIANCE(tax.tax_paid_fen) ${FROM} WHERE tax.industry IN ('C13', 'C14')`)).toMatchObject(
      {
        queryShape: "variance",
        filters: [{ field: "ds_enterprise_tax.industry", op: "in", values: ["C13", "C14"] }],
      },
    );
  });

  it.each([
    ["not SQL", "SELEKT 1", /does not parse/],
    ["an UPDATE", "UPDATE ds_enterprise_tax SET x = 1", /UPDATE statement is not supported/],
    ["two statements", `SELECT COUNT(*) ${FROM}; SELECT COUNT(*) ${FROM}`, /more than one statement/],
    ["one dataset", "SELECT COUNT(*) FROM ds_enterprise_tax tax", /a query over one dataset/],
    [
      "a LEFT JOIN",
      "SELECT COUNT(*) FROM ds_enterprise_tax tax LEFT JOIN ds_social_insurance si ON tax.uscc = si.uscc",
      /LEFT JOIN is not supported/,
    ],
    [
      "a join on an inequality",
      "SELECT COUNT(*) FROM ds_enterprise_tax tax JOIN ds_social_insurance si ON tax.uscc < si.uscc",
      /other than a.key = b.key/,
    ],
    ["an unqualified column", `SELECT AVG(tax_paid_fen) ${FROM}`, /unqualified column tax_paid_fen/],
    ["an unknown alias", `SELECT AVG(x.tax_paid_fen) ${FROM}`, /x is not a dataset in FROM/],
    ["OR", `SELECT COUNT(*) ${FROM} WHERE tax.a = 1 OR tax.b = 2`, /OR in WHERE/],
    ["a LIKE", `SELECT COUNT(*) ${FROM} WHERE tax.a LIKE 'x%'`, /operator LIKE/],
    ["a function", `SELECT COUNT(*) ${FROM} WHERE tax.a = lower('X')`, /function call/],
    ["two aggregates", `SELECT AVG(tax.a), SUM(tax.b) ${FROM}`, /more than one aggregate/],
    ["MAX", `SELECT MAX(tax.a) ${FROM}`, /aggregate MAX/],
    ["a raw column", `SELECT tax.uscc ${FROM}`, /selecting ds_enterprise_tax.uscc outside an aggregate/],
    ["ORDER BY", `SELECT COUNT(*) ${FROM} ORDER BY 1`, /ORDER BY/],
    ["LIMIT", `SELECT COUNT(*) ${FROM} LIMIT 5`, /LIMIT/],
    ["HAVING", `SELECT COUNT(*) ${FROM} GROUP BY tax.d HAVING COUNT(*) > 5`, /HAVING/],
    ["a GROUP BY without its values", `SELECT COUNT(*) ${FROM} GROUP BY tax.district`, /add AND tax.district IN/],
    ["two GROUP BY columns", `SELECT COUNT(*) ${FROM} GROUP BY tax.a, tax.b`, /more than one column/],
    ["COUNT(DISTINCT)", `SELECT COUNT(DISTINCT tax.a) ${FROM}`, /DISTINCT/],
  ])("refuses %s, naming it", (_name, sql, message) => {
    expect(() => joinFromSql(sql)).toThrow(message);
  });
});
