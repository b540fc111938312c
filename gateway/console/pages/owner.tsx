import type { Child } from "hono/jsx";
import type { Dataset } from "../../../store/index.js";
import { ColumnChart } from "../charts.js";
import type { OwnerScenario } from "../data/owner.js";
import { count, epsilon, percent, yuan } from "../format.js";
import { word } from "../i18n.js";
import { CsrfField, FilePicker, Layout, Notice, type PageContext, Table } from "../layout.js";
import { levelMeaning, levelName, Named, NamedList, nameOf, regionName, words } from "../names.js";
import { When } from "../when.js";

export function DatasetsPage({ page, datasets }: { page: PageContext; datasets: Dataset[] }) {
  const { t, lang } = page;
  return (
    <Layout page={page} title={t("datasets.title")}>
      {datasets.length === 0 ? <p class="empty">{t("common.none")}</p> : null}
      {datasets.map((d) => (
        <section class="card" aria-labelledby={`dataset-${d.id}`}>
          <h2 id={`dataset-${d.id}`}>
            {d.name} <code>{d.id}</code>
          </h2>
          <dl class="terms">
            <dt>{t("datasets.sector")}</dt>
            <dd>
              <Named code={d.sector} name={nameOf(lang, "sector", d.sector)} />
            </dd>
            <dt>{t("datasets.category")}</dt>
            <dd>
              <Named code={d.category} name={nameOf(lang, "category", d.category)} />
            </dd>
            <dt>{t("datasets.region")}</dt>
            <dd>
              <Named code={d.region} name={regionName(lang, d.region)} />
            </dd>
            <dt>{t("datasets.version")}</dt>
            <dd>{d.version}</dd>
          </dl>
          <Table
            columns={[t("common.name"), t("datasets.type"), t("datasets.level"), t("datasets.meaning")]}
            caption={t("datasets.fields")}
          >
            {d.fields.map((f) => (
              <tr>
                <td>
                  <code>{f.name}</code>
                </td>
                <td>
                  <Named code={f.type} name={nameOf(lang, "type", f.type)} />
                </td>
                <td class={`level level-${f.level}`}>
                  <Named code={f.level} name={levelName(lang, f.level)} />
                </td>
                <td>{levelMeaning(lang, f.level)}</td>
              </tr>
            ))}
          </Table>
        </section>
      ))}
    </Layout>
  );
}

/**
 * For a scenario across departments (a join, or a vertical score): which departments' columns it
 * combines, how, and what leaves.
 */
const ACROSS = {
  join: { title: "scenarios.join", columns: "scenarios.joinColumns", leaves: "scenarios.joinLeaves" },
  vertical: { title: "scenarios.vertical", columns: "scenarios.verticalColumns", leaves: "scenarios.verticalLeaves" },
} as const;

function AcrossDepartments({ page, fields, kind }: { page: PageContext; fields: string[]; kind: keyof typeof ACROSS }) {
  const words = ACROSS[kind];
  const byDataset = new Map<string, string[]>();
  for (const qualified of [...fields].sort()) {
    const dot = qualified.indexOf(".");
    byDataset.set(qualified.slice(0, dot), [
      ...(byDataset.get(qualified.slice(0, dot)) ?? []),
      qualified.slice(dot + 1),
    ]);
  }
  return (
    <>
      <dt>{page.t(words.title)}</dt>
      <dd class="join-terms">
        <p>{page.t(words.columns)}</p>
        <ul class="plain">
          {[...byDataset].map(([dataset, columns]) => (
            <li>
              <code>{dataset}</code>:{" "}
              {columns.map((c, i) =>
                i === 0 ? (
                  <code>{c}</code>
                ) : (
                  <>
                    , <code>{c}</code>
                  </>
                ),
              )}
            </li>
          ))}
        </ul>
        <p>{page.t(words.leaves)}</p>
      </dd>
    </>
  );
}

/** A scenario scored by one model over several departments' features. */
const isVerticalScore = (s: { computeModes: string[]; queryShapes: string[]; fields: string[] }) =>
  s.computeModes.includes("he") &&
  s.queryShapes.includes("he-score") &&
  new Set(s.fields.map((f) => f.slice(0, f.indexOf(".")))).size > 1;

/** A scenario's fields with each one's level and what the rules let leave of it; another owner's field shows only its name. */
function FieldTable({
  page,
  fields,
  levels,
}: {
  page: PageContext;
  fields: string[];
  levels: ReadonlyMap<string, number>;
}) {
  const { t, lang } = page;
  return (
    <table class="fields">
      <thead>
        <tr>
          <th scope="col">{t("scenarios.fields")}</th>
          <th scope="col">{t("datasets.level")}</th>
          <th scope="col">{t("datasets.meaning")}</th>
        </tr>
      </thead>
      <tbody>
        {[...fields].sort().map((f) => {
          const level = levels.get(f);
          return (
            <tr>
              <td>
                <code>{f}</code>
              </td>
              <td class={level === undefined ? undefined : `level level-${level}`}>
                {level === undefined ? "" : <Named code={level} name={levelName(lang, level)} />}
              </td>
              <td>{level === undefined ? "" : levelMeaning(lang, level)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** Everything an owner approves, laid out as terms: the same values the signed approval covers. */
export function ScenarioTerms({ page, item }: { page: PageContext; item: OwnerScenario }) {
  const { t, lang } = page;
  const s = item.scenario;
  const shares = s.ownerShareBasisPoints;
  return (
    <dl class="terms">
      <dt>{t("scenarios.operator")}</dt>
      <dd>
        {item.operatorName} <code>{s.operatorId}</code>
      </dd>
      <dt>{t("scenarios.purpose")}</dt>
      <dd>{s.purpose}</dd>
      <dt>{t("scenarios.fields")}</dt>
      <dd>
        <FieldTable page={page} fields={s.fields} levels={item.fieldLevels} />
      </dd>
      <dt>{t("scenarios.modes")}</dt>
      <dd>
        <NamedList lang={lang} codes={s.computeModes} of={words("mode")} />
      </dd>
      {s.computeModes.includes("join") ? <AcrossDepartments page={page} fields={s.fields} kind="join" /> : null}
      {isVerticalScore(s) ? <AcrossDepartments page={page} fields={s.fields} kind="vertical" /> : null}
      <dt>{t("scenarios.shapes")}</dt>
      <dd>
        <NamedList lang={lang} codes={s.queryShapes} of={words("shape")} />
      </dd>
      <dt>{t("scenarios.k")}</dt>
      <dd>{s.minGroupSize}</dd>
      <dt>{t("scenarios.epsilon")}</dt>
      <dd>{epsilon(s.epsilonPerQueryMicro)}</dd>
      <dt>{t("scenarios.budget")}</dt>
      <dd>{epsilon(s.epsilonBudgetMicro)}</dd>
      <dt>{t("scenarios.quota")}</dt>
      <dd>{count(s.queryQuota)}</dd>
      <dt>{t("scenarios.price")}</dt>
      <dd>{yuan(s.pricePerQueryFen)}</dd>
      <dt>{t("scenarios.share")}</dt>
      <dd>
        {t("scenarios.platform")} {percent(s.platformShareBasisPoints)}; {t("scenarios.owners")}{" "}
        {percent(10_000 - s.platformShareBasisPoints)}
        {shares ? (
          <>
            {" ("}
            {Object.entries(shares).map(([owner, bp], i) => (
              <>
                {i > 0 ? (lang === "zh" ? "；" : "; ") : ""}
                <Named code={owner} name={item.names.get(owner) ?? owner} /> {percent(bp)}
              </>
            ))}
            {")"}
          </>
        ) : (
          ` (${t("scenarios.equalShares")})`
        )}
      </dd>
      <dt>{t("scenarios.validity")}</dt>
      <dd>
        <When at={s.validFrom} zone={page.timeZone} /> – <When at={s.validUntil} zone={page.timeZone} />
      </dd>
      <dt>{t("common.status")}</dt>
      <dd>
        {word(page.lang, "status", item.status)}
        {item.decisions.length > 1
          ? ` (${item.decisions.map((d) => `${d.ownerName}: ${word(page.lang, "status", d.decision)}`).join("; ")})`
          : ""}
      </dd>
    </dl>
  );
}

function ReasonForm({
  page,
  scenarioId,
  action,
  label,
}: {
  page: PageContext;
  scenarioId: string;
  action: "reject" | "suspend";
  label: string;
}) {
  const id = `${action}-${scenarioId}`;
  return (
    <form method="post" action={`/console/owner/scenarios/${scenarioId}/${action}`} class="decision">
      <CsrfField page={page} />
      <label for={id}>{page.t("common.reasonRequired")}</label>
      <textarea id={id} name="reason" required maxlength={2000} rows={2} />
      <button type="submit" class={action === "reject" ? "danger" : undefined}>
        {label}
      </button>
    </form>
  );
}

function ApproveForm({ page, item }: { page: PageContext; item: OwnerScenario }) {
  const { t } = page;
  const id = item.scenario.id;
  return (
    <form
      method="post"
      action={`/console/owner/scenarios/${id}/approve`}
      class="decision"
      data-approve=""
      data-approval-message={item.approvalMessage}
      data-owner-id={page.viewer?.id}
      data-msg-bad-file={t("key.badFile")}
      data-msg-wrong-key={t("key.wrongOwner")}
      data-msg-no-key={t("key.notHeld")}
    >
      <CsrfField page={page} />
      <input type="hidden" name="signature" value="" />
      <button type="submit" class="primary">
        {t("scenarios.approve")}
      </button>
      <details>
        <summary>{t("scenarios.otherKey")}</summary>
        <label for={`key-${id}`}>{t("scenarios.approveKey")}</label>
        <FilePicker page={page} id={`key-${id}`} accept="application/json,.json" />
      </details>
      <noscript>
        <p>{t("scenarios.approveNeedsScript")}</p>
      </noscript>
      <output aria-live="polite" class="approve-status" />
    </form>
  );
}

export function OwnerScenariosPage({
  page,
  items,
  notice,
}: {
  page: PageContext;
  items: OwnerScenario[];
  notice?: Child;
}) {
  const { t } = page;
  const pending = items.filter((i) => i.approvalMessage);
  const others = items.filter((i) => !i.approvalMessage);
  return (
    <Layout page={page} title={t("nav.ownerScenarios")}>
      {notice}
      <h2>{t("scenarios.pending")}</h2>
      {pending.length === 0 ? <p class="empty">{t("common.none")}</p> : null}
      {pending.map((item) => (
        <section class="card" aria-labelledby={`scenario-${item.scenario.id}`} data-scenario={item.scenario.id}>
          <h3 id={`scenario-${item.scenario.id}`}>
            {item.scenario.purpose} <code>{item.scenario.id}</code>
          </h3>
          <ScenarioTerms page={page} item={item} />
          <div class="actions">
            <ApproveForm page={page} item={item} />
            <ReasonForm page={page} scenarioId={item.scenario.id} action="reject" label={t("scenarios.reject")} />
          </div>
        </section>
      ))}
      <h2>{t("scenarios.others")}</h2>
      {others.length === 0 ? <p class="empty">{t("common.none")}</p> : null}
      {others.map((item) => (
        <section class="card" aria-labelledby={`scenario-${item.scenario.id}`} data-scenario={item.scenario.id}>
          <h3 id={`scenario-${item.scenario.id}`}>
            {item.scenario.purpose} <code>{item.scenario.id}</code>
          </h3>
          <p>
            {t("scenarios.decision")}: {word(page.lang, "status", item.myDecision)}
            {item.status === "active" || item.status === "approved" || item.status === "suspended" ? (
              <>
                ; {t("scenarios.remainingQuota")}: {count(item.scenario.queryQuota - item.scenario.queriesUsed)};{" "}
                {t("scenarios.remainingBudget")}:{" "}
                {epsilon(item.scenario.epsilonBudgetMicro - item.scenario.epsilonSpentMicro)}
              </>
            ) : null}
          </p>
          {item.status === "active" ? <Notice kind="ok">{t("scenarios.isActive")}</Notice> : null}
          <details>
            <summary>{t("scenarios.allTerms")}</summary>
            <ScenarioTerms page={page} item={item} />
          </details>
          {item.status === "approved" || item.status === "active" ? (
            <ReasonForm page={page} scenarioId={item.scenario.id} action="suspend" label={t("scenarios.suspend")} />
          ) : null}
        </section>
      ))}
    </Layout>
  );
}

export function UsagePage({
  page,
  perDay,
  revenue,
}: {
  page: PageContext;
  perDay: { label: string; value: number }[];
  revenue: { statementId: string; periodStart: Date; periodEnd: Date; amountFen: number; records: number }[];
}) {
  const { t } = page;
  return (
    <Layout page={page} title={t("usage.title")}>
      <ColumnChart
        id="owner-usage"
        title={t("usage.perDay")}
        columns={perDay}
        dataLabel={t("charts.data")}
        emptyText={t("common.none")}
      />
      <h2>{t("usage.revenue")}</h2>
      {revenue.length === 0 ? (
        <p class="empty">{t("common.none")}</p>
      ) : (
        <Table
          columns={[t("common.period"), t("usage.records"), t("usage.amount")]}
          foot={
            <tr>
              <th scope="row" colspan={2}>
                {t("common.total")}
              </th>
              <td class="number">{yuan(revenue.reduce((sum, r) => sum + r.amountFen, 0))}</td>
            </tr>
          }
        >
          {revenue.map((r) => (
            <tr>
              <td>
                <When at={r.periodStart} zone={page.timeZone} /> – <When at={r.periodEnd} zone={page.timeZone} />
              </td>
              <td>{r.records}</td>
              <td class="number">{yuan(r.amountFen)}</td>
            </tr>
          ))}
        </Table>
      )}
    </Layout>
  );
}
