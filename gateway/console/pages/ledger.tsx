import type { InclusionProof } from "../../../ledger/index.js";
import type { AnchorBatch, UsageRecordRow } from "../../../store/index.js";
import type { RecordListQuery } from "../../services/record-list.js";
import { short, yuan } from "../format.js";
import { Layout, Notice, type PageContext, Table } from "../layout.js";
import { Id, Named, nameOf } from "../names.js";
import { When } from "../when.js";
import { RecordFields } from "./record-fields.js";

/** The audit form filled with a period that covers [start, end] (a batch's end is its last record's time). */
export function auditHref(start: Date, end: Date): string {
  const params = new URLSearchParams({
    periodStart: start.toISOString(),
    periodEnd: new Date(end.getTime() + 1).toISOString(),
  });
  return `/console/audit?${params.toString()}`;
}

/** The filters as asked (kept as typed, so a refused one can be corrected in place). */
type Filters = Partial<Record<keyof RecordListQuery, string>>;

const FILTERS = [
  ["operatorId", "ledger.operator"],
  ["scenarioId", "ledger.scenario"],
  ["ownerId", "ledger.owner"],
] as const;

function FilterForm({ page, filters }: { page: PageContext; filters: Filters }) {
  const { t } = page;
  return (
    <form method="get" action="/console/ledger" class="filters">
      {FILTERS.map(([name, label]) => (
        <p>
          <label for={`filter-${name}`}>{t(label)}</label>
          <input id={`filter-${name}`} name={name} value={filters[name] ?? ""} />
        </p>
      ))}
      <p>
        <label for="filter-from">{t("common.from")}</label>
        <input id="filter-from" type="datetime-local" step={1} name="from" value={filters.from ?? ""} />
      </p>
      <p>
        <label for="filter-to">{t("common.to")}</label>
        <input id="filter-to" type="datetime-local" step={1} name="to" value={filters.to ?? ""} />
      </p>
      <p>
        <button type="submit">{t("common.filter")}</button>
      </p>
    </form>
  );
}

export function LedgerPage(props: {
  page: PageContext;
  batches: AnchorBatch[];
  records: (UsageRecordRow & { feeFen: number })[];
  next: string | null;
  filters: Filters;
  error?: string;
  /** Participants' names by id. */
  names: ReadonlyMap<string, string>;
}) {
  const { page, filters, names } = props;
  const { t, lang } = page;
  const participant = (id: string) => <Named code={id} name={names.get(id) ?? id} />;
  const nextHref = () => {
    const params = new URLSearchParams(Object.entries(filters).filter((e): e is [string, string] => Boolean(e[1])));
    if (props.next) params.set("before", props.next);
    return `/console/ledger?${params.toString()}`;
  };
  return (
    <Layout page={page} title={t("ledger.title")}>
      <h2>{t("ledger.records")}</h2>
      <FilterForm page={page} filters={filters} />
      {props.error ? <Notice kind="error">{props.error}</Notice> : null}
      {props.records.length === 0 ? (
        <p class="empty">{t("common.none")}</p>
      ) : (
        <Table
          columns={[
            t("common.id"),
            t("common.createdAt"),
            t("ledger.operator"),
            t("ledger.scenario"),
            t("ledger.owner"),
            t("ledger.mode"),
            t("ledger.fee"),
            t("ledger.batch"),
            <span class="visually-hidden">{t("ledger.verify")}</span>,
          ]}
          class="records"
        >
          {props.records.map((row) => {
            const record = row.record as {
              operatorId: string;
              scenarioId: string;
              computeMode: string;
              queryShape: string;
              owners: { ownerId: string }[];
            };
            return (
              <tr data-record={row.id}>
                <td>
                  <Id id={row.id} />
                </td>
                <td>
                  <When at={row.createdAt} zone={page.timeZone} />
                </td>
                <td>{participant(record.operatorId)}</td>
                <td>
                  <Id id={record.scenarioId} />
                </td>
                <td>
                  {record.owners.map((o, i) => (
                    <>
                      {i > 0 ? (lang === "zh" ? "、" : ", ") : ""}
                      {participant(o.ownerId)}
                    </>
                  ))}
                </td>
                <td>
                  <Named code={record.computeMode} name={nameOf(lang, "mode", record.computeMode)} /> ·{" "}
                  <Named code={record.queryShape} name={nameOf(lang, "shape", record.queryShape)} />
                </td>
                <td class="number">{yuan(row.feeFen)}</td>
                <td>{row.batchId ? <code title={row.batchId}>{short(row.batchId)}</code> : t("ledger.pending")}</td>
                <td>
                  <a href={`/console/ledger/records/${encodeURIComponent(row.id)}`} class="button">
                    {t("ledger.verify")}
                    <span class="visually-hidden"> {row.id}</span>
                  </a>
                </td>
              </tr>
            );
          })}
        </Table>
      )}
      {props.next ? (
        <p>
          <a href={nextHref()}>{t("common.next")}</a>
        </p>
      ) : null}
      <h2>{t("ledger.batches")}</h2>
      {props.batches.length === 0 ? (
        <p class="empty">{t("common.none")}</p>
      ) : (
        <Table
          columns={[
            t("ledger.batch"),
            t("common.period"),
            t("usage.records"),
            t("ledger.fee"),
            t("ledger.root"),
            t("ledger.block"),
            t("common.status"),
            <span class="visually-hidden">{t("ledger.verifyPeriod")}</span>,
          ]}
        >
          {props.batches.map((b) => (
            <tr>
              <td>
                <a href={`/console/ledger?batchId=${encodeURIComponent(b.id)}`}>
                  <code title={b.id}>{short(b.id)}</code>
                </a>
              </td>
              <td>
                <When at={b.periodStart} zone={page.timeZone} /> – <When at={b.periodEnd} zone={page.timeZone} />
              </td>
              <td class="number">{b.recordCount}</td>
              <td class="number">{yuan(b.feeTotalFen)}</td>
              <td>
                <code title={b.root}>{short(b.root)}</code>
              </td>
              <td>{b.blockNumber ?? ""}</td>
              <td>{b.status === "anchored" ? t("ledger.anchored") : t("ledger.sending")}</td>
              <td>
                <a href={auditHref(b.periodStart, b.periodEnd)}>{t("ledger.verifyPeriod")}</a>
              </td>
            </tr>
          ))}
        </Table>
      )}
    </Layout>
  );
}

function Check({ page, label, value }: { page: PageContext; label: string; value: boolean | null }) {
  const { t } = page;
  const mark = value === null ? "–" : value ? "✓" : "✗";
  const text = value === null ? t("verify.notYet") : value ? t("common.yes") : t("common.no");
  return (
    <li
      class={value === null ? "check-unknown" : value ? "check-ok" : "check-failed"}
      data-check-result={String(value)}
    >
      <span aria-hidden="true">{mark}</span> {label}: <strong>{text}</strong>
    </li>
  );
}

/** One record's verification, its verdict first and in words. */
export function RecordPage({
  page,
  proof,
  names,
}: {
  page: PageContext;
  proof: InclusionProof;
  names: ReadonlyMap<string, string>;
}) {
  const { t } = page;
  const verdict = proof.verified
    ? { kind: "ok" as const, text: t("verify.passed") }
    : proof.status === "pending" && proof.checks.recordHashMatches && proof.checks.gatewaySignatureValid
      ? { kind: "ok" as const, text: t("verify.pendingAnchor") }
      : { kind: "error" as const, text: t("verify.failed") };
  return (
    <Layout page={page} title={`${t("verify.title")} ${proof.recordId}`}>
      <div data-verdict={proof.verified ? "verified" : verdict.kind === "ok" ? "pending" : "failed"}>
        <Notice kind={verdict.kind}>
          <strong>{verdict.text}</strong>
        </Notice>
      </div>
      {proof.checks.recordHashMatches && proof.checks.gatewaySignatureValid ? null : (
        <p>{t("verify.explainAltered")}</p>
      )}
      {proof.checks.proofValid === false ? <p>{t("verify.explainProof")}</p> : null}
      {proof.checks.rootOnChain === false ? <p>{t("verify.explainChain")}</p> : null}
      <ul class="checks">
        <Check page={page} label={t("verify.recordHash")} value={proof.checks.recordHashMatches} />
        <Check page={page} label={t("verify.signature")} value={proof.checks.gatewaySignatureValid} />
        <Check page={page} label={t("verify.proof")} value={proof.checks.proofValid} />
        <Check page={page} label={t("verify.rootOnChain")} value={proof.checks.rootOnChain} />
      </ul>
      {proof.anchor ? (
        <dl class="terms">
          <dt>{t("ledger.batch")}</dt>
          <dd>
            <code>{proof.anchor.batchId}</code> #{proof.anchor.leafIndex}
          </dd>
          <dt>{t("ledger.root")}</dt>
          <dd>
            <code>{proof.anchor.root}</code>
          </dd>
          <dt>{t("ledger.tx")}</dt>
          <dd>
            <code>{proof.anchor.txHash ?? ""}</code>
          </dd>
          <dt>{t("ledger.block")}</dt>
          <dd>{proof.anchor.blockNumber ?? ""}</dd>
        </dl>
      ) : null}
      <h2>{t("verify.record")}</h2>
      <RecordFields page={page} record={proof.record as Record<string, unknown>} names={names} />
      <details>
        <summary>{t("record.asSigned")}</summary>
        <pre class="record">{JSON.stringify(proof.record, null, 2)}</pre>
      </details>
      <p>
        <a href="/console/ledger">{t("error.back")}</a>
      </p>
    </Layout>
  );
}
