import { and, asc, eq, inArray } from "drizzle-orm";
import { Hono } from "hono";
import { ForbiddenError } from "../../lib/errors.js";
import { jsonBody } from "../../lib/validate.js";
import { authorisationEvents, scenarioApprovals, scenarios } from "../../store/index.js";
import type { GatewayDeps, GatewayEnv } from "../deps.js";
import { requireRole } from "../middleware/authenticate.js";
import { proposeScenarioSchema, scenarioDecisionSchema, statusChangeSchema } from "../schemas.js";
import {
  changeScenarioStatus,
  decideScenario,
  loadScenario,
  proposeScenario,
  scenarioResponse,
} from "../services/scenarios.js";

/** Operators propose scenarios; every owner of every dataset involved approves or rejects with a reason. */
export function createScenarioRoutes(deps: GatewayDeps) {
  const now = () => deps.now?.() ?? new Date();
  const respond = ({ scenario, approvals }: Awaited<ReturnType<typeof loadScenario>>) =>
    scenarioResponse(scenario, approvals, now());
  const app = new Hono<GatewayEnv>()
    .post("/scenarios", async (c) => {
      const operator = requireRole(c, "operator");
      const input = await jsonBody(c, proposeScenarioSchema);
      return c.json(respond(await proposeScenario(deps.db, operator, input, now())), 201);
    })
    .get("/scenarios", async (c) => {
      const caller = c.get("participant");
      // Operators see their own scenarios, owners those using their data, the others all of them.
      const rows =
        caller.role === "operator"
          ? await deps.db.select().from(scenarios).where(eq(scenarios.operatorId, caller.id))
          : caller.role === "owner"
            ? (
                await deps.db
                  .select({ scenario: scenarios })
                  .from(scenarios)
                  .innerJoin(scenarioApprovals, eq(scenarioApprovals.scenarioId, scenarios.id))
                  .where(eq(scenarioApprovals.ownerId, caller.id))
              ).map((r) => r.scenario)
            : await deps.db.select().from(scenarios);
      const approvals = rows.length
        ? await deps.db
            .select()
            .from(scenarioApprovals)
            .where(
              inArray(
                scenarioApprovals.scenarioId,
                rows.map((s) => s.id),
              ),
            )
        : [];
      const pendingFor = c.req.query("pendingFor");
      const list = rows.map((s) =>
        scenarioResponse(
          s,
          approvals.filter((a) => a.scenarioId === s.id),
          now(),
        ),
      );
      return c.json({
        scenarios: pendingFor
          ? list.filter((s) => s.approvals.some((a) => a.ownerId === pendingFor && a.decision === "pending"))
          : list,
      });
    })
    .get("/scenarios/:id", async (c) => {
      const loaded = await loadScenario(deps.db, c.req.param("id"));
      const caller = c.get("participant");
      const involved =
        caller.role === "authority" ||
        caller.role === "regulator" ||
        caller.role === "sector" ||
        loaded.scenario.operatorId === caller.id ||
        loaded.approvals.some((a) => a.ownerId === caller.id);
      if (!involved) throw new ForbiddenError(`${caller.id} is not a party to scenario ${loaded.scenario.id}`);
      return c.json(respond(loaded));
    })
    .get("/scenarios/:id/events", async (c) => {
      requireRole(c, "authority", "regulator", "operator", "owner");
      await loadScenario(deps.db, c.req.param("id"));
      const events = await deps.db
        .select()
        .from(authorisationEvents)
        .where(
          and(eq(authorisationEvents.subjectType, "scenario"), eq(authorisationEvents.subjectId, c.req.param("id"))),
        )
        .orderBy(asc(authorisationEvents.at));
      return c.json({ events });
    })
    .post("/scenarios/:id/decisions", async (c) => {
      const owner = requireRole(c, "owner");
      const input = await jsonBody(c, scenarioDecisionSchema);
      return c.json(
        respond(await decideScenario(deps.db, owner, c.req.param("id"), input.decision, input.reason, input.signature)),
      );
    });

  for (const action of ["suspend", "resume", "revoke"] as const) {
    app.post(`/scenarios/:id/${action}`, async (c) => {
      const actor = requireRole(c, "authority", "owner", "operator");
      const { reason } = await jsonBody(c, statusChangeSchema);
      return c.json(respond(await changeScenarioStatus(deps.db, actor, c.req.param("id"), action, reason)));
    });
  }
  return app;
}
