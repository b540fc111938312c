import type { Scenario } from "../../../store/index.js";
import type { operatorGrants, operatorJobs } from "../data/operator.js";
import { epsilon, instant } from "../format.js";
import { word } from "../i18n.js";
import { Layout, type PageContext, Table } from "../layout.js";

export function OperatorPage(props: {
  page: PageContext;
  grants: Awaited<ReturnType<typeof operatorGrants>>;
  scenarios: (Scenario & { currentStatus: string })[];
}) {
  const { page } = props;
  const { t, lang } = page;
  return (
    <Layout page={page} title={t("nav.grants")}>
      <h2>{t("operator.grants")}</h2>
      {props.grants.length === 0 ? (
        <p class="empty">{t("common.none")}</p>
      ) : (
        <Table
          columns={[
            t("common.id"),
            t("operator.tier"),
            t("operator.regions"),
            t("operator.sectors"),
            t("scenarios.modes"),
            t("operator.maxLevel"),
            t("scenarios.validity"),
            t("common.status"),
          ]}
        >
          {props.grants.map((g) => (
            <tr>
              <td>
                <code>{g.id}</code>
              </td>
              <td>{word(lang, "tier", g.tier)}</td>
              <td>{g.regions.join(", ")}</td>
              <td>{g.sectors.join(", ")}</td>
              <td>{g.computeModes.join(", ")}</td>
              <td>{g.maxLevel}</td>
              <td>
                {instant(g.validFrom)} – {instant(g.validUntil)}
              </td>
              <td>{word(lang, "status", g.status)}</td>
            </tr>
          ))}
        </Table>
      )}
      <h2>{t("operator.scenarios")}</h2>
      {props.scenarios.length === 0 ? (
        <p class="empty">{t("common.none")}</p>
      ) : (
        <Table
          columns={[
            t("common.id"),
            t("scenarios.purpose"),
            t("common.status"),
            t("scenarios.remainingQuota"),
            t("scenarios.remainingBudget"),
            t("scenarios.validity"),
          ]}
        >
          {props.scenarios.map((s) => (
            <tr data-scenario={s.id}>
              <td>
                <code>{s.id}</code>
              </td>
              <td>{s.purpose}</td>
              <td>{word(lang, "status", s.currentStatus)}</td>
              <td class="number">
                {s.queryQuota - s.queriesUsed} / {s.queryQuota}
              </td>
              <td class="number">
                {epsilon(s.epsilonBudgetMicro - s.epsilonSpentMicro)} / {epsilon(s.epsilonBudgetMicro)}
              </td>
              <td>
                {instant(s.validFrom)} – {instant(s.validUntil)}
              </td>
            </tr>
          ))}
        </Table>
      )}
    </Layout>
  );
}

export function JobsPage({ page, jobs }: { page: PageContext; jobs: Awaited<ReturnType<typeof operatorJobs>> }) {
  const { t, lang } = page;
  return (
    <Layout page={page} title={t("jobs.title")}>
      {jobs.length === 0 ? (
        <p class="empty">{t("common.none")}</p>
      ) : (
        <Table
          columns={[
            t("common.id"),
            t("ledger.scenario"),
            t("ledger.mode"),
            t("common.status"),
            t("common.createdAt"),
            t("jobs.finished"),
            t("jobs.error"),
          ]}
        >
          {jobs.map((j) => (
            <tr data-job={j.id}>
              <td>
                <code>{j.id}</code>
              </td>
              <td>
                <code>{j.scenarioId}</code>
              </td>
              <td>
                {j.query.computeMode} / {j.query.queryShape}
              </td>
              <td class={`job-${j.status}`}>{word(lang, "status", j.status)}</td>
              <td>{instant(j.createdAt)}</td>
              <td>{instant(j.finishedAt)}</td>
              <td>{j.error ?? ""}</td>
            </tr>
          ))}
        </Table>
      )}
    </Layout>
  );
}
