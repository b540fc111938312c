import { AUDIT_FINDING_LABELS, type AuditReport } from "../../../ledger/index.js";
import { CsrfField, Layout, Notice, type PageContext, Table } from "../layout.js";
import { PeriodFields } from "../period-fields.js";
import { When } from "../when.js";

/** The period form and, once run, the audit's verdict in words and each finding. */
export function AuditPage(props: {
  page: PageContext;
  period: { periodStart: string; periodEnd: string };
  report?: AuditReport;
  error?: string;
}) {
  const { page, report } = props;
  const { t } = page;
  return (
    <Layout page={page} title={t("audit.title")}>
      <p>{t("audit.intro")}</p>
      <form method="post" action="/console/audit" class="filters">
        <CsrfField page={page} />
        <PeriodFields page={page} period={props.period} />
        <p>
          <button type="submit" class="primary">
            {t("audit.run")}
          </button>
        </p>
      </form>
      {props.error ? <Notice kind="error">{props.error}</Notice> : null}
      {report ? (
        <section aria-labelledby="audit-result" data-audit={report.ok ? "passed" : "failed"}>
          <h2 id="audit-result">
            {t("common.period")}: <When at={report.periodStart} zone={page.timeZone} /> –{" "}
            <When at={report.periodEnd} zone={page.timeZone} />
          </h2>
          <Notice kind={report.ok ? "ok" : "error"}>
            <strong>{report.ok ? t("audit.passed") : t("audit.failed")}</strong>
          </Notice>
          <dl class="terms">
            <dt>{t("audit.records")}</dt>
            <dd>{report.records}</dd>
            <dt>{t("audit.batches")}</dt>
            <dd>{report.batches}</dd>
            <dt>{t("audit.decisions")}</dt>
            <dd>{report.decisionsReplayed}</dd>
            <dt>{t("audit.statements")}</dt>
            <dd>{report.statements}</dd>
            <dt>{t("audit.events")}</dt>
            <dd>{report.authorisationEvents}</dd>
            <dt>{t("audit.findings")}</dt>
            <dd>{report.findings.length}</dd>
          </dl>
          <div class="actions downloads">
            {(["html", "pdf"] as const).map((format) => (
              <form method="post" action={`/console/audit/report/${format}`}>
                <CsrfField page={page} />
                <input type="hidden" name="periodStart" value={report.periodStart} />
                <input type="hidden" name="periodEnd" value={report.periodEnd} />
                <button type="submit">{t(format === "html" ? "audit.downloadHtml" : "audit.downloadPdf")}</button>
              </form>
            ))}
          </div>
          {report.findings.length ? (
            <Table columns={[t("audit.kind"), t("audit.subject"), t("ledger.batch"), t("audit.detail")]}>
              {report.findings.map((f) => (
                <tr data-finding={f.kind}>
                  <td>{AUDIT_FINDING_LABELS[f.kind]}</td>
                  <td>
                    {f.recordId ? (
                      <a href={`/console/ledger/records/${encodeURIComponent(f.recordId)}`}>{f.recordId}</a>
                    ) : (
                      (f.statementId ?? f.eventId ?? f.jobId ?? "")
                    )}
                  </td>
                  <td>
                    {f.batchId ?? ""}
                    {f.leafIndex === undefined ? "" : ` #${f.leafIndex}`}
                  </td>
                  <td>{f.detail}</td>
                </tr>
              ))}
            </Table>
          ) : null}
        </section>
      ) : null}
    </Layout>
  );
}
