import { describe, expect, it } from "vitest";
import { type AssetAccountsReport, renderAssetAccountsCsv, renderAssetAccountsHtml } from "./asset-accounts-report.js";

const report: AssetAccountsReport = {
  periodStart: "2026-11-01T00:00:00.000Z",
  periodEnd: "2026-12-01T00:00:00.000Z",
  recordCount: 3,
  anchoredCount: 2,
  method: { name: "income approach", discountRateBasisPoints: 800, years: 5, description: "V = R × Σ (1 + r)^−t" },
  accounts: [
    {
      ownerId: "owner_tax",
      datasetId: "ds_tax",
      datasetName: 'Enterprise tax, "2025" <export>',
      uses: 2,
      contributionUnits: 10,
      revenueFen: 123_456,
      valueEstimateFen: 5_998_765,
      scenarioIds: ["sc_a", "sc_b"],
    },
  ],
  owners: [
    {
      ownerId: "owner_tax",
      revenueFen: 123_456,
      valueEstimateFen: 5_998_765,
      settlements: [{ statementId: "stl_1", amountFen: 123_456, matches: true }],
    },
  ],
};

describe("the data-asset accounts as files", () => {
  it("writes CSV by RFC 4180, exact yuan beside fen, the method on every row", () => {
    expect(renderAssetAccountsCsv(report).split("\r\n")).toEqual([
      "period_start,period_end,owner_id,dataset_id,dataset_name,uses,contribution_units,revenue_fen,revenue_yuan,value_estimate_fen,value_estimate_yuan,value_method,scenarios",
      '2026-11-01T00:00:00.000Z,2026-12-01T00:00:00.000Z,owner_tax,ds_tax,"Enterprise tax, ""2025"" <export>",2,10,123456,1234.56,5998765,59987.65,"income approach, 8% a year, 5 years",sc_a sc_b',
      "",
    ]);
  });

  it("writes a page with each dataset, each owner against its statement and the method, escaping names", () => {
    const page = renderAssetAccountsHtml(report);
    expect(page).toContain("Enterprise tax, &quot;2025&quot; &lt;export&gt;");
    expect(page).not.toContain("<export>");
    expect(page).toContain("1,234.56 元");
    expect(page).toContain("<code>stl_1</code>: 1,234.56 元 ✓ 一致 / matches");
    expect(page).toContain("income approach, 8% a year, 5 years");
    expect(page).toContain("使用记录 / usage records: 3 (已上链 / anchored: 2)");
    const differs = renderAssetAccountsHtml({
      ...report,
      owners: [
        {
          ...(report.owners[0] as AssetAccountsReport["owners"][number]),
          settlements: [{ statementId: "stl_1", amountFen: 1, matches: false }],
        },
      ],
    });
    expect(differs).toContain("✗ 不一致 / differs");
    expect(renderAssetAccountsHtml({ ...report, accounts: [], owners: [] })).toContain("no use in this period");
  });
});
