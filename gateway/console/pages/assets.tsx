import type { AssetAccountsReport } from "../../../ledger/asset-accounts-report.js";
import { count, percent, yuan } from "../format.js";
import { Layout, Notice, type PageContext, Table } from "../layout.js";
import { Id, Named } from "../names.js";
import { PeriodFields } from "../period-fields.js";
import { When } from "../when.js";

/** An owner by its name, its id on hover; by its id when it has no name here. */
function Owner({ id, names }: { id: string; names: Map<string, string> | undefined }) {
  const name = names?.get(id);
  return name ? <Named code={id} name={name} /> : <Id id={id} />;
}

/** The period form and, once asked, each dataset's account, each owner against its statement, and the method. */
export function AssetsPage(props: {
  page: PageContext;
  period: { periodStart: string; periodEnd: string };
  report?: AssetAccountsReport;
  /** The owners' names, by id. */
  names?: Map<string, string>;
  error?: string;
}) {
  const { page, report } = props;
  const { t } = page;
  const download = (format: "csv" | "html") =>
    report
      ? `/console/assets/report/${format}?${new URLSearchParams({ periodStart: report.periodStart, periodEnd: report.periodEnd })}`
      : "";
  return (
    <Layout page={page} title={t("assets.title")}>
      <p>{t("assets.intro")}</p>
      <form method="get" action="/console/assets" class="filters">
        <PeriodFields page={page} period={props.period} />
        <p>
          <button type="submit" class="primary">
            {t("assets.run")}
          </button>
        </p>
      </form>
      {props.error ? <Notice kind="error">{props.error}</Notice> : null}
      {report ? (
        <section aria-labelledby="assets-result">
          <h2 id="assets-result">
            {t("common.period")}: <When at={report.periodStart} zone={page.timeZone} /> –{" "}
            <When at={report.periodEnd} zone={page.timeZone} />
          </h2>
          <dl class="terms">
            <dt>{t("assets.records")}</dt>
            <dd>
              {count(report.recordCount)} ({count(report.anchoredCount)})
            </dd>
          </dl>
          <div class="actions downloads">
            <a class="button" href={download("csv")} download>
              {t("assets.downloadCsv")}
            </a>
            <a class="button" href={download("html")} download>
              {t("assets.downloadHtml")}
            </a>
          </div>
          {report.accounts.length ? (
            <Table
              columns={[
                t("assets.owner"),
                t("assets.dataset"),
                t("assets.uses"),
                t("assets.units"),
                t("assets.revenue"),
                t("assets.value"),
                t("assets.scenarios"),
              ]}
            >
              {report.accounts.map((a) => (
                <tr data-dataset={a.datasetId}>
                  <td>
                    <Owner id={a.ownerId} names={props.names} />
                  </td>
                  <td>{a.datasetName ?? <Id id={a.datasetId} />}</td>
                  <td class="number">{count(a.uses)}</td>
                  <td class="number">{count(a.contributionUnits)}</td>
                  <td class="number">{yuan(a.revenueFen)}</td>
                  <td class="number">{yuan(a.valueEstimateFen)}</td>
                  <td>
                    {a.scenarioIds.map((id) => (
                      <Id id={id} />
                    ))}
                  </td>
                </tr>
              ))}
            </Table>
          ) : (
            <p>{t("assets.none")}</p>
          )}
          {report.owners.length ? (
            <Table columns={[t("assets.owner"), t("assets.revenue"), t("assets.value"), t("assets.settlement")]}>
              {report.owners.map((o) => (
                <tr data-owner={o.ownerId}>
                  <td>
                    <Owner id={o.ownerId} names={props.names} />
                  </td>
                  <td class="number">{yuan(o.revenueFen)}</td>
                  <td class="number">{yuan(o.valueEstimateFen)}</td>
                  <td data-settlement={o.settlements.every((s) => s.matches) ? "matches" : "differs"}>
                    {o.settlements.length
                      ? o.settlements.map((s) => (
                          <span>
                            <a href={`/console/settlements/${encodeURIComponent(s.statementId)}`}>{s.statementId}</a>:{" "}
                            {yuan(s.amountFen)}, {s.matches ? t("assets.matches") : t("assets.differs")}{" "}
                          </span>
                        ))
                      : t("assets.noStatement")}
                  </td>
                </tr>
              ))}
            </Table>
          ) : null}
          <h3>{t("assets.method")}</h3>
          <p>
            {t("assets.methodText")
              .replaceAll("{years}", String(report.method.years))
              .replaceAll("{rate}", percent(report.method.discountRateBasisPoints))}
          </p>
        </section>
      ) : null}
    </Layout>
  );
}
