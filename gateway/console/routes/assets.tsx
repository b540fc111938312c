import { Hono } from "hono";
import { renderAssetAccountsCsv, renderAssetAccountsHtml } from "../../../ledger/asset-accounts-report.js";
import { instantOfLocal, zonedLocalInput } from "../../../lib/time-zone.js";
import type { GatewayDeps } from "../../deps.js";
import { assetAccounts, assetAccountsQuerySchema } from "../../services/asset-accounts.js";
import { participantNames } from "../data/shared.js";
import type { ConsoleEnv } from "../env.js";
import { pageOf, refusePage } from "../page-context.js";
import { AssetsPage } from "../pages/assets.js";
import { onlyFor } from "../roles.js";

const DAY_MS = 86_400_000;

/**
 * A period's bound as the date pickers give it (the viewer's wall clock), or as an instant with its
 * offset, as a settlement statement's page links to exactly its period.
 */
function instantOf(value: string, zone: string): Date | null {
  if (/(Z|[+-]\d\d:\d\d)$/.test(value)) {
    const at = new Date(value);
    return Number.isNaN(at.getTime()) ? null : at;
  }
  return instantOfLocal(value, zone);
}

/** The data-asset accounts page, for owners (their own datasets), regulators and the authority, and its downloads. */
export function createAssetPages(deps: GatewayDeps) {
  const now = () => deps.now?.() ?? new Date();
  const app = new Hono<ConsoleEnv>();
  for (const path of ["/console/assets", "/console/assets/*"])
    app.use(path, onlyFor("owner", "regulator", "authority"));

  const accountsOf = (c: Parameters<typeof pageOf>[0], start: Date, end: Date) =>
    assetAccounts(
      deps,
      c.get("participant"),
      assetAccountsQuerySchema.parse({ periodStart: start.toISOString(), periodEnd: end.toISOString() }),
    );

  app.get("/console/assets", async (c) => {
    const page = pageOf(c);
    const asked = { periodStart: c.req.query("periodStart"), periodEnd: c.req.query("periodEnd") };
    if (asked.periodStart === undefined && asked.periodEnd === undefined) {
      const end = now();
      const start = new Date(end.getTime() - 30 * DAY_MS);
      const period = {
        periodStart: zonedLocalInput(start, page.timeZone),
        periodEnd: zonedLocalInput(new Date(Math.ceil(end.getTime() / 1000) * 1000), page.timeZone),
      };
      return c.html(<AssetsPage page={page} period={period} />);
    }
    let period = { periodStart: (asked.periodStart ?? "").trim(), periodEnd: (asked.periodEnd ?? "").trim() };
    const start = instantOf(period.periodStart, page.timeZone);
    const end = instantOf(period.periodEnd, page.timeZone);
    if (start && end)
      period = { periodStart: zonedLocalInput(start, page.timeZone), periodEnd: zonedLocalInput(end, page.timeZone) };
    if (!start || !end || !(start < end)) {
      const error = !start || !end ? page.t("audit.badPeriod") : page.t("audit.periodOrder");
      return c.html(<AssetsPage page={page} period={period} error={error} />, 400);
    }
    const report = await accountsOf(c, start, end);
    const names = await participantNames(
      deps.db,
      report.accounts.map((a) => a.ownerId),
    );
    return c.html(<AssetsPage page={page} period={period} report={report} names={names} />);
  });

  // The same accounts as the files an institution files: CSV for its books, the HTML report for its asset filing.
  app.get("/console/assets/report/:format{csv|html}", async (c) => {
    const page = pageOf(c);
    const start = new Date(c.req.query("periodStart") ?? "");
    const end = new Date(c.req.query("periodEnd") ?? "");
    if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || !(start < end)) {
      return refusePage(c, page.t("error.title"), [page.t("audit.badPeriod")], 400);
    }
    const report = await accountsOf(c, start, end);
    const name = `sluice-assets-${start.toISOString().slice(0, 10)}-${end.toISOString().slice(0, 10)}`;
    if (c.req.param("format") === "csv") {
      return c.body(renderAssetAccountsCsv(report), 200, {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="${name}.csv"`,
      });
    }
    c.header("content-disposition", `attachment; filename="${name}.html"`);
    return c.html(renderAssetAccountsHtml(report));
  });
  return app;
}
