import { writeFileSync } from "node:fs";
import type { AuditReport } from "../../ledger/audit.js";
import { renderAuditHtml } from "../../ledger/audit-html.js";
import { EXIT, type Handler } from "./handler.js";
import { withProgress } from "./progress.js";

/**
 * `sluice audit --from <instant> --to <instant> [--out report.json] [--html report.html]`: the
 * regulator's audit of a period, exported as JSON and as a page people read; exit 1 on any finding.
 */
export const audit: Handler = async (client, h) => {
  const report = await withProgress("auditing the period", h.call.json, () =>
    client.request<AuditReport>("POST", "/audits", {
      periodStart: h.option("from", "--from <ISO instant>"),
      periodEnd: h.option("to", "--to <ISO instant>"),
    }),
  );
  const out = h.call.options.out;
  if (typeof out === "string") writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  const html = h.call.options.html;
  if (typeof html === "string") writeFileSync(html, renderAuditHtml(report));
  h.print(report, () =>
    [
      `${report.ok ? "PASSED" : "FAILED"}: ${report.records} usage records, ${report.batches} batches, ${report.decisionsReplayed} decisions replayed, ${report.statements} settlement statements, ${report.authorisationEvents} authorisation events`,
      ...report.findings.map(
        (f) =>
          `  ${f.kind}: ${[f.recordId ?? f.statementId ?? f.eventId, f.jobId && `job ${f.jobId}`, f.batchId && `batch ${f.batchId}${f.leafIndex === undefined ? "" : ` leaf ${f.leafIndex}`}`].filter(Boolean).join(", ")} — ${f.detail}`,
      ),
      ...(typeof out === "string" ? [`report: ${out}`] : []),
      ...(typeof html === "string" ? [`page: ${html}`] : []),
    ].join("\n"),
  );
  return report.ok ? EXIT.ok : EXIT.refused;
};
