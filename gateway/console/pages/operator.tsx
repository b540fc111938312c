import type { Scenario } from "../../../store/index.js";
import type { operatorGrants, operatorJobs } from "../data/operator.js";
import { count, epsilon } from "../format.js";
import { word } from "../i18n.js";
import { JobFailure } from "../job-failure.js";
import { Layout, type PageContext, Table } from "../layout.js";
import { Id, levelName, Named, NamedList, nameOf, regionName, words } from "../names.js";
import { When } from "../when.js";

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
                <Id id={g.id} />
              </td>
              <td>
                <Named code={g.tier} name={word(lang, "tier", g.tier)} />
              </td>
              <td>
                <NamedList lang={lang} codes={g.regions} of={regionName} />
              </td>
              <td>
                <NamedList lang={lang} codes={g.sectors} of={words("sector")} />
              </td>
              <td>
                <NamedList lang={lang} codes={g.computeModes} of={words("mode")} />
              </td>
              <td>
                <Named code={g.maxLevel} name={levelName(lang, g.maxLevel)} />
              </td>
              <td>
                <When at={g.validFrom} zone={page.timeZone} /> – <When at={g.validUntil} zone={page.timeZone} />
              </td>
              <td>
                <Named code={g.status} name={word(lang, "status", g.status)} />
              </td>
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
                <Id id={s.id} />
              </td>
              <td>{s.purpose}</td>
              <td>
                <Named code={s.currentStatus} name={word(lang, "status", s.currentStatus)} />
              </td>
              <td class="number">
                {count(s.queryQuota - s.queriesUsed)} / {count(s.queryQuota)}
              </td>
              <td class="number">
                {epsilon(s.epsilonBudgetMicro - s.epsilonSpentMicro)} / {epsilon(s.epsilonBudgetMicro)}
              </td>
              <td>
                <When at={s.validFrom} zone={page.timeZone} /> – <When at={s.validUntil} zone={page.timeZone} />
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
            t("jobs.times"),
            t("jobs.record"),
            t("jobs.error"),
          ]}
        >
          {jobs.map((j) => (
            <tr data-job={j.id}>
              <td>
                <Id id={j.id} />
              </td>
              <td>
                <Id id={j.scenarioId} />
              </td>
              <td>
                <Named code={j.query.computeMode} name={nameOf(lang, "mode", j.query.computeMode)} /> ·{" "}
                <Named code={j.query.queryShape} name={nameOf(lang, "shape", j.query.queryShape)} />
              </td>
              <td class={`job-${j.status}`}>
                <Named code={j.status} name={word(lang, "status", j.status)} />
              </td>
              <td>
                <When at={j.createdAt} zone={page.timeZone} />
                {j.finishedAt ? (
                  <>
                    <br />
                    <When at={j.finishedAt} zone={page.timeZone} />
                  </>
                ) : null}
              </td>
              <td>{j.usageRecordId ? <Id id={j.usageRecordId} /> : ""}</td>
              <td>{j.error ? <JobFailure lang={lang} reason={j.error} detailsLabel={t("jobs.details")} /> : ""}</td>
            </tr>
          ))}
        </Table>
      )}
    </Layout>
  );
}
