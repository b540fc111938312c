import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import { SluiceError } from "../../../lib/errors.js";
import { statusOf } from "../../../lib/problem.js";
import type { GatewayDeps } from "../../deps.js";
import { changeScenarioStatus, decideScenario } from "../../services/scenarios.js";
import { ownerDatasets, ownerRevenue, ownerScenarios } from "../data/owner.js";
import { usagePerDay } from "../data/shared.js";
import type { ConsoleEnv } from "../env.js";
import type { MessageKey } from "../i18n.js";
import { Notice } from "../layout.js";
import { explain, pageOf } from "../page-context.js";
import { DatasetsPage, OwnerScenariosPage, UsagePage } from "../pages/owner.js";
import { onlyFor } from "../roles.js";

const reasonForm = z.object({ reason: z.string().trim().min(1).max(2_000) });
const approvalForm = z.object({ signature: z.string().regex(/^[A-Za-z0-9_-]{86}$/) });

/** A form that does not hold what its action needs. */
class FormRefused extends SluiceError {
  constructor(readonly messageKey: MessageKey) {
    super("validation_failed", messageKey);
  }
}

function read<T>(schema: z.ZodType<T>, body: unknown, refusal: MessageKey): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new FormRefused(refusal);
  return parsed.data;
}

const DONE = ["approve", "reject", "suspend"] as const;

/** What an approval led to: the scenario now active, or still waiting for the other owners. */
const afterApproval = (status: string | undefined) =>
  status === "active" ? "done.nowActive" : status === "approved" ? "done.notYetValid" : "done.othersPending";

/** Owner pages: datasets and their classification, scenarios to decide, usage and revenue. */
export function createOwnerPages(deps: GatewayDeps) {
  const now = () => deps.now?.() ?? new Date();
  const app = new Hono<ConsoleEnv>();
  app.use("/console/owner/*", onlyFor("owner"));

  const scenariosPage = async (c: Context<ConsoleEnv>, error?: { message: string; status: ContentfulStatusCode }) => {
    const page = pageOf(c);
    const items = await ownerScenarios(deps.db, c.get("participant"), now());
    const done = c.req.query("done");
    const scenario = c.req.query("scenario");
    const notice = error ? (
      <Notice kind="error">{error.message}</Notice>
    ) : done && (DONE as readonly string[]).includes(done) ? (
      <Notice kind="ok">
        {page.t(`done.${done as (typeof DONE)[number]}`)} {scenario}
        {done === "approve" ? `${page.t(afterApproval(items.find((i) => i.scenario.id === scenario)?.status))}` : ""}
      </Notice>
    ) : null;
    return c.html(<OwnerScenariosPage page={page} items={items} notice={notice} />, error?.status ?? 200);
  };

  // A refused decision shows the page again with the reason, and nothing has changed.
  const decide =
    (
      action: (c: Context<ConsoleEnv>, body: Record<string, unknown>) => Promise<unknown>,
      done: (typeof DONE)[number],
    ) =>
    async (c: Context<ConsoleEnv>) => {
      try {
        await action(c, (await c.req.parseBody()) as Record<string, unknown>);
      } catch (error) {
        if (error instanceof FormRefused) {
          return scenariosPage(c, { message: pageOf(c).t(error.messageKey), status: 400 });
        }
        if (error instanceof SluiceError) {
          return scenariosPage(c, { message: explain(pageOf(c), error), status: statusOf(error) });
        }
        throw error;
      }
      return c.redirect(
        `/console/owner/scenarios?done=${done}&scenario=${encodeURIComponent(c.req.param("id") ?? "")}`,
        303,
      );
    };

  app.get("/console/owner/scenarios", (c) => scenariosPage(c));
  app.post(
    "/console/owner/scenarios/:id/approve",
    decide(async (c, body) => {
      const { signature } = read(approvalForm, body, "refusal.notSigned");
      await decideScenario(deps.db, c.get("participant"), c.req.param("id") ?? "", "approve", undefined, signature);
    }, "approve"),
  );
  app.post(
    "/console/owner/scenarios/:id/reject",
    decide(async (c, body) => {
      const { reason } = read(reasonForm, body, "refusal.reasonMissing");
      await decideScenario(deps.db, c.get("participant"), c.req.param("id") ?? "", "reject", reason);
    }, "reject"),
  );
  app.post(
    "/console/owner/scenarios/:id/suspend",
    decide(async (c, body) => {
      const { reason } = read(reasonForm, body, "refusal.reasonMissing");
      await changeScenarioStatus(deps.db, c.get("participant"), c.req.param("id") ?? "", "suspend", reason);
    }, "suspend"),
  );

  app.get("/console/owner/datasets", async (c) =>
    c.html(<DatasetsPage page={pageOf(c)} datasets={await ownerDatasets(deps.db, c.get("participant").id)} />),
  );
  app.get("/console/owner/usage", async (c) => {
    const ownerId = c.get("participant").id;
    const [perDay, revenue] = await Promise.all([
      usagePerDay(deps.db, now(), 30, ownerId),
      ownerRevenue(deps.db, ownerId),
    ]);
    return c.html(<UsagePage page={pageOf(c)} perDay={perDay} revenue={revenue} />);
  });
  return app;
}
