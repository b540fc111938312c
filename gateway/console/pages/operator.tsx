import type { operatorGrants, operatorJobs, operatorScenarios } from "../data/operator.js";
import { epsilon, instant } from "../format.js";
import { word } from "../i18n.js";
import { Layout, type PageContext } from "../layout.js";

export function OperatorPage(props: {
  page: PageContext;
  grants: Awaited<ReturnType<typeof operatorGrants>>;
  scenarios: (Awaited<ReturnType<typeof operatorScenarios>>[number] & { currentStatus: string })[];
}) {
  const { page } = props;
  const { t, lang } = page;
  return (
    <Layout page={page} title={t("nav.grants")}>
      <h2>{t("operator.grants")}</h2>
      {props.grants.length === 0 ? (
        <p class="empty">{t("common.none")}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("common.id")}</th>
              <th scope="col">{t("operator.tier")}</th>
              <th scope="col">{t("operator.regions")}</th>
              <th scope="col">{t("operator.sectors")}</th>
              <th scope="col">{t("scenarios.modes")}</th>
              <th scope="col">{t("operator.maxLevel")}</th>
              <th scope="col">{t("scenarios.validity")}</th>
              <th scope="col">{t("common.status")}</th>
            </tr>
          </thead>
          <tbody>
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
          </tbody>
        </table>
      )}
      <h2>{t("operator.scenarios")}</h2>
      {props.scenarios.length === 0 ? (
        <p class="empty">{t("common.none")}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("common.id")}</th>
              <th scope="col">{t("scenarios.purpose")}</th>
              <th scope="col">{t("common.status")}</th>
              <th scope="col">{t("scenarios.remainingQuota")}</th>
              <th scope="col">{t("scenarios.remainingBudget")}</th>
              <th scope="col">{t("scenarios.validity")}</th>
            </tr>
          </thead>
          <tbody>
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
          </tbody>
        </table>
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
        <table>
          <thead>
            <tr>
              <th scope="col">{t("common.id")}</th>
              <th scope="col">{t("ledger.scenario")}</th>
              <th scope="col">{t("ledger.mode")}</th>
              <th scope="col">{t("common.status")}</th>
              <th scope="col">{t("common.createdAt")}</th>
              <th scope="col">{t("jobs.finished")}</th>
              <th scope="col">{t("jobs.error")}</th>
            </tr>
          </thead>
          <tbody>
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
          </tbody>
        </table>
      )}
    </Layout>
  );
}
