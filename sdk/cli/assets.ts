import { writeFileSync } from "node:fs";
import {
  type AssetAccountsReport,
  renderAssetAccountsCsv,
  renderAssetAccountsHtml,
} from "../../ledger/asset-accounts-report.js";
import { count, instant, table, yuan } from "./format.js";
import { EXIT, type Handler, UsageError } from "./handler.js";

const WHOLE = /^\d+$/;

/**
 * `sluice assets --from <instant> --to <instant> [--owner <id>] [--rate <bp>] [--years <n>]
 * [--csv file] [--html file]`: the period's data-asset accounts as a table, and as the files an
 * institution files.
 */
export const assets: Handler = async (client, h) => {
  const { owner, rate, years, csv, html } = h.call.options;
  for (const [name, value] of [
    ["--rate", rate],
    ["--years", years],
  ] as const) {
    if (value !== undefined && (typeof value !== "string" || !WHOLE.test(value)))
      throw new UsageError(`${name} is a whole number`);
  }
  const query = new URLSearchParams({
    periodStart: h.option("from", "--from <ISO instant>"),
    periodEnd: h.option("to", "--to <ISO instant>"),
    ...(typeof owner === "string" ? { ownerId: owner } : {}),
    ...(typeof rate === "string" ? { discountRateBasisPoints: rate } : {}),
    ...(typeof years === "string" ? { years } : {}),
  });
  const report = await client.request<AssetAccountsReport>("GET", `/assets/accounts?${query}`);
  if (typeof csv === "string") writeFileSync(csv, renderAssetAccountsCsv(report));
  if (typeof html === "string") writeFileSync(html, renderAssetAccountsHtml(report));
  h.print(report, () =>
    [
      `period ${instant(report.periodStart)} to ${instant(report.periodEnd)}: ${count(report.recordCount)} usage records (${count(report.anchoredCount)} anchored)`,
      report.accounts.length === 0
        ? "no dataset was used in this period"
        : table(
            ["owner", "dataset", "uses", "units", "revenue", "value estimate"],
            report.accounts.map((a) => [
              a.ownerId,
              a.datasetId,
              count(a.uses),
              count(a.contributionUnits),
              yuan(a.revenueFen),
              yuan(a.valueEstimateFen),
            ]),
            [2, 3, 4, 5],
          ),
      ...report.owners.flatMap((o) =>
        o.settlements.map(
          (s) =>
            `${o.ownerId}: ${yuan(o.revenueFen)}, statement ${s.statementId} says ${yuan(s.amountFen)}: ${s.matches ? "matches" : "DIFFERS"}`,
        ),
      ),
      `value: ${report.method.name}, ${report.method.discountRateBasisPoints / 100}% a year over ${report.method.years} years`,
      ...(typeof csv === "string" ? [`csv: ${csv}`] : []),
      ...(typeof html === "string" ? [`page: ${html}`] : []),
    ].join("\n"),
  );
  return report.owners.some((o) => o.settlements.some((s) => !s.matches)) ? EXIT.refused : EXIT.ok;
};
