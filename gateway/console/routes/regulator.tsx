import { Hono } from "hono";
import type { z } from "zod";
import { proveRecord } from "../../../ledger/index.js";
import type { Logger } from "../../../lib/logger.js";
import type { GatewayDeps } from "../../deps.js";
import { settlementPeriodSchema } from "../../schemas.js";
import { auditWith } from "../../services/audit.js";
import { listUsageRecords, recordListQuerySchema } from "../../services/record-list.js";
import { getSettlement, listSettlements } from "../../services/settlement.js";
import { epsilonPerScenario, recentBatches, revenueSplit } from "../data/regulator.js";
import { participantNames, usagePerDay } from "../data/shared.js";
import type { ConsoleEnv } from "../env.js";
import { pageOf } from "../page-context.js";
import { AuditPage } from "../pages/audit.js";
import { ChartsPage } from "../pages/charts.js";
import { LedgerPage, RecordPage } from "../pages/ledger.js";
import { SettlementPage, SettlementsPage } from "../pages/settlements.js";
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
    const query = recordListQuerySchema.safeParse({ limit: 50, ...asked });
    const [batches, page] = await Promise.all([
      recentBatches(deps.db),
      query.success ? listUsageRecords(deps.db, query.data) : { records: [], next: null },
    ]);
    return c.html(
      <LedgerPage
        page={pageOf(c)}
        batches={batches}
        records={page.records}
        next={page.next}
        filters={asked}
        error={query.success ? undefined : issues(query.error)}
      />,
      query.success ? 200 : 400,
    );
  });
  app.get("/console/ledger/records/:id", async (c) =>
    c.html(
      <RecordPage
        page={pageOf(c)}
        proof={await proveRecord(deps.db, deps.ledger, c.req.param("id"), deps.gatewayKeys.publicKey)}
      />,
    ),
  );

  const lastDay = () => ({
    periodStart: new Date(now().getTime() - 86_400_000).toISOString(),
    periodEnd: now().toISOString(),
  });
  // A link may fill the form (a batch's period); the audit itself runs only when the form is posted.
  app.get("/console/audit", (c) => {
    const asked = { periodStart: c.req.query("periodStart"), periodEnd: c.req.query("periodEnd") };
    const period =
      asked.periodStart && asked.periodEnd ? { periodStart: asked.periodStart, periodEnd: asked.periodEnd } : lastDay();
    return c.html(<AuditPage page={pageOf(c)} period={period} />);
  });
  app.post("/console/audit", async (c) => {
    const body = await c.req.parseBody();
    const period = {
      periodStart: String(body.periodStart ?? "").trim(),
      periodEnd: String(body.periodEnd ?? "").trim(),
    };
    const parsed = settlementPeriodSchema.safeParse(period);
    const start = new Date(period.periodStart);
    const end = new Date(period.periodEnd);
    if (!parsed.success || !(start < end)) {
      const error = parsed.success ? "the period must end after it starts" : issues(parsed.error);
      return c.html(<AuditPage page={pageOf(c)} period={period} error={error} />, 400);
    }
    const report = await auditWith(deps, { start, end });
    return c.html(<AuditPage page={pageOf(c)} period={period} report={report} />);
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
