import { yuanDigits } from "../lib/money.js";
import type { DatasetAccount } from "./asset-accounts.js";

// The data-asset accounts as files an institution files: CSV (RFC 4180) for its books, and an
// HTML page (zh/en) to attach to its asset filing, both from the gateway's answer to
// GET /assets/accounts.

export interface AssetAccountsReport {
  periodStart: string;
  periodEnd: string;
  recordCount: number;
  anchoredCount: number;
  method: { name: string; discountRateBasisPoints: number; years: number; description: string };
  accounts: (DatasetAccount & { datasetName: string | null; valueEstimateFen: number })[];
  owners: {
    ownerId: string;
    revenueFen: number;
    valueEstimateFen: number;
    settlements: { statementId: string; amountFen: number; matches: boolean }[];
  }[];
}

const plainYuan = (fen: number) => yuanDigits(fen).replaceAll(",", "");
const methodInWords = (m: AssetAccountsReport["method"]) =>
  `${m.name}, ${m.discountRateBasisPoints / 100}% a year, ${m.years} years`;

function csvCell(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One row per owner's dataset, the period and the valuation method on every row. */
export function renderAssetAccountsCsv(report: AssetAccountsReport): string {
  const header = [
    "period_start",
    "period_end",
    "owner_id",
    "dataset_id",
    "dataset_name",
    "uses",
    "contribution_units",
    "revenue_fen",
    "revenue_yuan",
    "value_estimate_fen",
    "value_estimate_yuan",
    "value_method",
    "scenarios",
  ];
  const rows = report.accounts.map((a) => [
    report.periodStart,
    report.periodEnd,
    a.ownerId,
    a.datasetId,
    a.datasetName ?? "",
    a.uses,
    a.contributionUnits,
    a.revenueFen,
    plainYuan(a.revenueFen),
    a.valueEstimateFen,
    plainYuan(a.valueEstimateFen),
    methodInWords(report.method),
    a.scenarioIds.join(" "),
  ]);
  return `${[header, ...rows].map((row) => row.map(csvCell).join(",")).join("\r\n")}\r\n`;
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );

/** The accounts as a page a person reads and files: each dataset, each owner against its settlement, the method. */
export function renderAssetAccountsHtml(report: AssetAccountsReport): string {
  const datasets = report.accounts
    .map(
      (a) =>
        `<tr><td>${escapeHtml(a.ownerId)}</td><td>${escapeHtml(a.datasetName ?? a.datasetId)}<br><code>${escapeHtml(a.datasetId)}</code></td><td class="n">${a.uses}</td><td class="n">${a.contributionUnits}</td><td class="n">${yuanDigits(a.revenueFen)} 元</td><td class="n">${yuanDigits(a.valueEstimateFen)} 元</td><td>${a.scenarioIds.map((s) => `<code>${escapeHtml(s)}</code>`).join(" ")}</td></tr>`,
    )
    .join("\n");
  const owners = report.owners
    .map((o) => {
      const settled = o.settlements.length
        ? o.settlements
            .map(
              (s) =>
                `<code>${escapeHtml(s.statementId)}</code>: ${yuanDigits(s.amountFen)} 元 ${s.matches ? "✓ 一致 / matches" : "✗ 不一致 / differs"}`,
            )
            .join("<br>")
        : "本期间尚无结算单 / no statement settles exactly this period";
      return `<tr><td>${escapeHtml(o.ownerId)}</td><td class="n">${yuanDigits(o.revenueFen)} 元</td><td class="n">${yuanDigits(o.valueEstimateFen)} 元</td><td>${settled}</td></tr>`;
    })
    .join("\n");
  return `<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>数据资产账户 / Data-asset accounts ${escapeHtml(report.periodStart)} – ${escapeHtml(report.periodEnd)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#111}table{border-collapse:collapse;width:100%;margin-bottom:1.5rem}th,td{border:1px solid #999;padding:.4rem;text-align:left;vertical-align:top}td.n{text-align:right;white-space:nowrap}</style></head>
<body>
<h1>数据资产账户 / Data-asset accounts</h1>
<p>期间 / period: ${escapeHtml(report.periodStart)} – ${escapeHtml(report.periodEnd)}; 使用记录 / usage records: ${report.recordCount} (已上链 / anchored: ${report.anchoredCount})</p>
<h2>数据集 / Datasets</h2>
<table><thead><tr><th>数据持有方 / owner</th><th>数据集 / dataset</th><th>使用次数 / uses</th><th>贡献单位 / contribution units</th><th>收入 / revenue</th><th>估值 / value estimate</th><th>服务场景 / scenarios</th></tr></thead>
<tbody>
${datasets || '<tr><td colspan="7">本期间无使用 / no use in this period</td></tr>'}
</tbody></table>
<h2>数据持有方与结算单核对 / Owners against the settlement statements</h2>
<table><thead><tr><th>数据持有方 / owner</th><th>收入 / revenue</th><th>估值 / value estimate</th><th>结算单 / settlement statement</th></tr></thead>
<tbody>
${owners || '<tr><td colspan="4">—</td></tr>'}
</tbody></table>
<h2>估值方法 / Valuation method</h2>
<p>收益法 / ${escapeHtml(methodInWords(report.method))}.</p>
<p>${escapeHtml(report.method.description)}</p>
</body>
</html>
`;
}
