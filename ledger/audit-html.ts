import type { AuditFinding, AuditReport } from "./audit.js";

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );

/** Each kind of audit finding in Chinese and English, as the audit page and the console show it. */
export const AUDIT_FINDING_LABELS: Record<AuditFinding["kind"], string> = {
  record_altered: "记录被篡改 / record altered",
  record_forged: "记录被伪造 / record forged",
  record_fee_mismatch: "费用与决策不符 / fee not as decided",
  record_deleted: "记录被删除 / record deleted",
  record_inserted: "记录被插入 / record inserted",
  record_unanchored: "尚未上链 / not yet anchored",
  batch_root_mismatch: "批次根不符 / batch root mismatch",
  batch_not_on_chain: "批次未上链 / batch not on chain",
  batch_total_mismatch: "批次费用合计不符 / batch fee total mismatch",
  decision_missing: "决策缺失 / decision missing",
  decision_not_reproduced: "决策无法复现 / decision not reproduced",
  settlement_mismatch: "结算不符 / settlement mismatch",
  settlement_not_on_chain: "结算未上链 / settlement not on chain",
  settlement_total_mismatch: "结算合计与链上不符 / settlement totals differ from the chain",
  authorisation_event_altered: "授权记录被篡改 / authorisation event altered",
  authorisation_event_deleted: "授权记录被删除 / authorisation event deleted",
};

/** The audit as a page a person reads: the verdict first, then each finding naming what it concerns. */
export function renderAuditHtml(report: AuditReport): string {
  const rows = report.findings
    .map(
      (f) =>
        `<tr><td>${escapeHtml(AUDIT_FINDING_LABELS[f.kind])}</td><td>${escapeHtml(f.recordId ?? f.statementId ?? f.eventId ?? "")}</td><td>${escapeHtml(f.jobId ?? "")}</td><td>${escapeHtml(f.batchId ?? "")}${f.leafIndex === undefined ? "" : ` #${f.leafIndex}`}</td><td>${escapeHtml(f.detail)}</td></tr>`,
    )
    .join("\n");
  const verdict = report.ok ? "通过 / PASSED" : "未通过 / FAILED";
  return `<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>Sluice 审计报告 / audit report ${escapeHtml(report.periodStart)} – ${escapeHtml(report.periodEnd)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#111}table{border-collapse:collapse;width:100%}th,td{border:1px solid #999;padding:.4rem;text-align:left;vertical-align:top}.ok{color:#0a5c0a}.failed{color:#8b0000}</style></head>
<body>
<h1>审计报告 / Audit report</h1>
<p>期间 / period: ${escapeHtml(report.periodStart)} – ${escapeHtml(report.periodEnd)}; 审计时间 / checked at ${escapeHtml(report.checkedAt)}</p>
<p class="${report.ok ? "ok" : "failed"}"><strong>${verdict}</strong></p>
<ul>
<li>使用记录 / usage records: ${report.records}</li>
<li>上链批次 / anchored batches: ${report.batches}</li>
<li>复现决策 / decisions replayed: ${report.decisionsReplayed}</li>
<li>结算单 / settlement statements: ${report.statements}</li>
<li>授权记录 / authorisation events checked: ${report.authorisationEvents}</li>
<li>发现 / findings: ${report.findings.length}</li>
</ul>
${
  report.findings.length
    ? `<table><thead><tr><th>类型 / kind</th><th>记录或结算单 / record or statement</th><th>作业 / job</th><th>批次 / batch</th><th>说明 / detail</th></tr></thead>
<tbody>
${rows}
</tbody></table>`
    : "<p>无发现 / no findings.</p>"
}
</body>
</html>
`;
}
