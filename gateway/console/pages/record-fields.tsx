import { instant, yuan } from "../format.js";
import type { MessageKey } from "../i18n.js";
import type { PageContext } from "../layout.js";
import { Named, nameOf } from "../names.js";

/** The label of each field of a usage record, in the order a reader wants them. */
const LABELS: [string, MessageKey][] = [
  ["recordId", "record.recordId"],
  ["jobId", "record.jobId"],
  ["scenarioId", "ledger.scenario"],
  ["operatorId", "ledger.operator"],
  ["computeMode", "ledger.mode"],
  ["queryShape", "record.queryShape"],
  ["owners", "record.owners"],
  ["epsilonSpent", "record.epsilonSpent"],
  ["feeFen", "ledger.fee"],
  ["startedAt", "record.startedAt"],
  ["finishedAt", "jobs.finished"],
  ["decisionHash", "record.decisionHash"],
  ["resultHash", "record.resultHash"],
  ["requestId", "record.requestId"],
  ["schemaVersion", "record.schemaVersion"],
];

/**
 * A usage record as a labelled table, each value in words (names for ids and codes, yuan for fen,
 * the viewer's time), as stored: a field the record should not have is shown too, by its key.
 */
export function RecordFields({
  page,
  record,
  names,
}: {
  page: PageContext;
  record: Record<string, unknown>;
  names: ReadonlyMap<string, string>;
}) {
  const { t, lang } = page;
  const known = new Set(LABELS.map(([key]) => key));
  const participant = (id: unknown) => <Named code={String(id)} name={names.get(String(id)) ?? String(id)} />;
  const value = (key: string, v: unknown) => {
    if (v === null || v === undefined) return "";
    switch (key) {
      case "operatorId":
        return participant(v);
      case "computeMode":
        return <Named code={String(v)} name={nameOf(lang, "mode", String(v))} />;
      case "queryShape":
        return <Named code={String(v)} name={nameOf(lang, "shape", String(v))} />;
      case "feeFen":
        return typeof v === "number" ? yuan(v) : String(v);
      case "epsilonSpent":
        return String(v);
      case "startedAt":
      case "finishedAt":
        return instant(String(v), page.timeZone);
      case "owners":
        return Array.isArray(v) ? (
          <ul class="plain">
            {v.map((o: { ownerId?: unknown; datasetId?: unknown; contributionUnits?: unknown }) => (
              <li>
                {participant(o.ownerId)} · <code>{String(o.datasetId)}</code> · {t("record.units")}{" "}
                {String(o.contributionUnits)}
              </li>
            ))}
          </ul>
        ) : (
          JSON.stringify(v)
        );
      default:
        return typeof v === "string" ? <code>{v}</code> : JSON.stringify(v);
    }
  };
  return (
    <table class="record-fields">
      <tbody>
        {LABELS.filter(([key]) => key in record).map(([key, label]) => (
          <tr data-field={key}>
            <th scope="row">{t(label)}</th>
            <td>{value(key, record[key])}</td>
          </tr>
        ))}
        {Object.keys(record)
          .filter((key) => !known.has(key))
          .map((key) => (
            <tr data-field={key}>
              <th scope="row">
                <code>{key}</code>
              </th>
              <td>{JSON.stringify(record[key])}</td>
            </tr>
          ))}
      </tbody>
    </table>
  );
}
