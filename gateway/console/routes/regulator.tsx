import { Hono } from "hono";
import type { z } from "zod";
import { proveRecord, renderAuditHtml } from "../../../ledger/index.js";
import type { Logger } from "../../../lib/logger.js";
import { instantOfLocal, zonedLocalInput } from "../../../lib/time-zone.js";
import type { GatewayDeps } from "../../deps.js";
import { auditWith } from "../../services/audit.js";
import { listUsageRecords, recordListQuerySchema } from "../../services/record-list.js";
import { getSettlement, listSettlements } from "../../services/settlement.js";
import { epsilonPerScenario, recentBatches, revenueSplit } from "../data/regulator.js";
import { participantNames, usagePerDay } from "../data/shared.js";
import type { ConsoleEnv } from "../env.js";
import { pageOf, refusePage } from "../page-context.js";
import { AuditPage } from "../pages/audit.js";
import { ChartsPage } from "../pages/charts.js";
import { LedgerPage, RecordPage } from "../pages/ledger.js";
import { SettlementPage, SettlementsPage } from "../pages/settlements.js";
import { printPdf } from "../print-pdf.js";
import { onlyFor } from "../roles.js";

const issues = (error: z.ZodError) => error.issues.map((i) => `${i.path.join(".") || "form"}: ${i.message}`).join("; ");

/** Regulator pages (the authority sees them too): the ledger, verification, audits, settlements, charts. */
export function createRegulatorPages(deps: GatewayDeps & { logger: Logger }) {
  const now = () => deps.now?.() ?? new Date();
  const app = new Hono<ConsoleEnv>();
  for (const path of [
    "/console/ledger",
    "/console/ledger/*",
    "/console/audit",
    "/console/audit/*",
    "/console/settlements",
    "/console/settlements/*",
    "/console/charts",
  ]) {
    app.use(path, onlyFor("regulator", "authority"));
  }

  app.get("/console/ledger", async (c) => {
    // Empty filter fields are left out, as if not given.
    const asked = Object.fromEntries(
      Object.entries(c.req.query()).filter(([key, value]) => value !== "" && key !== "lang"),
    );
    // The date pickers give the viewer's wall-clock times; the query takes instants.
    const zone = pageOf(c).timeZone;
    const instants = Object.fromEntries(
      (["from", "to"] as const)
        .filter((key) => asked[key] !== undefined)
        .map((key) => [key, instantOfLocal(asked[key] as string, zone)?.toISOString() ?? asked[key]]),
    );
    const query = recordListQuerySchema.safeParse({ limit: 50, ...asked, ...instants });
    const [batches, page] = await Promise.all([
      recentBatches(deps.db),
      query.success ? listUsageRecords(deps.db, query.data) : { records: [], next: null },
    ]);
    const names = await participantNames(
      deps.db,
      page.records.flatMap((row) => {
        const record = row.record as { operatorId?: string; owners?: { ownerId: string }[] };
        return [record.operatorId ?? "", ...(record.owners ?? []).map((o) => o.ownerId)];
      }),
    );
    return c.html(
      <LedgerPage
        page={pageOf(c)}
        names={names}
        batches={batches}
        records={page.records}
        next={page.next}
        filters={asked}
        error={query.success ? undefined : issues(query.error)}
      />,
      query.success ? 200 : 400,
    );
  });
  app.get("/console/ledger/records/:id", async (c) => {
    const proof = await proveRecord(deps.db, deps.ledger, c.req.param("id"), deps.gatewayKeys.publicKey);
    const record = (proof.record ?? {}) as { operatorId?: unknown; owners?: unknown };
    const owners = Array.isArray(record.owners)
      ? record.owners.map((o: { ownerId?: unknown }) => String(o?.ownerId))
      : [];
    const names = await participantNames(deps.db, [String(record.operatorId ?? ""), ...owners]);
    return c.html(<RecordPage page={pageOf(c)} proof={proof} names={names} />);
  });

  // The form shows and takes the viewer's wall-clock times; a link fills it with instants (a batch's period).
  const lastDay = () => ({ start: new Date(now().getTime() - 86_400_000), end: now() });
  const asLocal = (period: { start: Date; end: Date }, zone: string) => ({
    periodStart: zonedLocalInput(period.start, zone),
    // To the second, the end rounded up so that a period still covers its last record.
    periodEnd: zonedLocalInput(new Date(Math.ceil(period.end.getTime() / 1000) * 1000), zone),
  });
  app.get("/console/audit", (c) => {
    const page = pageOf(c);
    const start = new Date(c.req.query("periodStart") ?? "");
    const end = new Date(c.req.query("periodEnd") ?? "");
    const linked = !Number.isNaN(start.getTime()) && !Number.isNaN(end.getTime());
    return c.html(<AuditPage page={page} period={asLocal(linked ? { start, end } : lastDay(), page.timeZone)} />);
  });
  app.post("/console/audit", async (c) => {
    const page = pageOf(c);
    const body = await c.req.parseBody();
    const period = {
      periodStart: String(body.periodStart ?? "").trim(),
      periodEnd: String(body.periodEnd ?? "").trim(),
    };
    const start = instantOfLocal(period.periodStart, page.timeZone);
    const end = instantOfLocal(period.periodEnd, page.timeZone);
    if (!start || !end || !(start < end)) {
      const error = !start || !end ? page.t("audit.badPeriod") : page.t("audit.periodOrder");
      return c.html(<AuditPage page={page} period={period} error={error} />, 400);
    }
    const report = await auditWith(deps, { start, end });
    return c.html(<AuditPage page={page} period={period} report={report} />);
  });
  // The same audit, run again, as the report a regulator files: HTML, or that page printed to PDF.
  app.post("/console/audit/report/:format{html|pdf}", async (c) => {
    const page = pageOf(c);
    const body = await c.req.parseBody();
    const start = new Date(String(body.periodStart ?? ""));
    const end = new Date(String(body.periodEnd ?? ""));
    if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || !(start < end)) {
      return refusePage(c, page.t("error.title"), [page.t("audit.badPeriod")], 400);
    }
    const html = renderAuditHtml(await auditWith(deps, { start, end }));
    const name = `sluice-audit-${start.toISOString().slice(0, 10)}-${end.toISOString().slice(0, 10)}`;
    if (c.req.param("format") === "html") {
      c.header("content-disposition", `attachment; filename="${name}.html"`);
      return c.html(html);
    }
    const pdf = await printPdf(html);
    return c.body(new Uint8Array(pdf), 200, {
      "content-type": "application/pdf",
      "content-disposition": `attachment; filename="${name}.pdf"`,
    });
  });

  app.get("/console/settlements", async (c) =>
    c.html(<SettlementsPage page={pageOf(c)} statements={await listSettlements(deps)} />),
  );
  app.get("/console/settlements/:id", async (c) => {
    const statement = await getSettlement(deps, c.get("participant"), c.req.param("id"));
    const names = await participantNames(
      deps.db,
      statement.lines.map((l) => l.payeeId),
    );
    return c.html(<SettlementPage page={pageOf(c)} statement={statement} names={names} />);
  });

  app.get("/console/charts", async (c) => {
    const [perDay, split, epsilonUse] = await Promise.all([
      usagePerDay(deps.db, now(), 30),
      revenueSplit(deps.db),
      epsilonPerScenario(deps.db),
    ]);
    return c.html(<ChartsPage page={pageOf(c)} perDay={perDay} split={split} epsilonUse={epsilonUse} />);
  });
  return app;
}
