import { and, asc, eq } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { jsonBody } from "../../lib/validate.js";
import { authorisationEvents } from "../../store/index.js";
import type { GatewayDeps, GatewayEnv } from "../deps.js";
import { describe } from "../openapi/describe.js";
import { authorisationEventResponseSchema, scenarioResponseSchema } from "../openapi/responses.js";

import { proposeScenarioSchema, scenarioDecisionSchema, statusChangeSchema } from "../schemas.js";
import {
  assertScenarioParty,
  changeScenarioStatus,
  decideScenario,
  loadScenario,
  proposeScenario,
  scenarioResponse,
  scenariosVisibleTo,
} from "../services/scenarios.js";

/** Operators propose scenarios; every owner of every dataset involved approves or rejects with a reason. */
export function createScenarioRoutes(deps: GatewayDeps) {
  const now = () => deps.now?.() ?? new Date();
  const respond = ({ scenario, approvals }: Awaited<ReturnType<typeof loadScenario>>) =>
    scenarioResponse(scenario, approvals, now());
  const app = new Hono<GatewayEnv>()
    .post(
      "/scenarios",
      describe({
        summary: "Propose a scenario (依场景授权)",
        description:
          "Refused at once, naming each excess, when wider than the operator's grants or the classification rules; otherwise every owner involved is asked to approve.",
        tag: "scenarios",
        roles: ["operator"],
        body: proposeScenarioSchema,
        responses: {
          201: {
            description: "Proposed (or approved at once by owners' auto-approval rules)",
            schema: scenarioResponseSchema,
          },
        },
        problems: ["exceeds_upper_tier", "dataset_unknown"],
      }),
      async (c) => {
        const operator = c.get("participant");
        const input = await jsonBody(c, proposeScenarioSchema);
        return c.json(respond(await proposeScenario(deps.db, operator, input, now())), 201);
      },
    )
    .get(
      "/scenarios",
      describe({
        summary: "List scenarios",
        description: "Operators see their own, owners those using their data, the others all of them; newest first.",
        tag: "scenarios",
        query: z.object({
          pendingFor: z.string().optional().describe("only scenarios waiting for this owner's decision"),
        }),
        responses: {
          200: { description: "Scenarios", schema: z.strictObject({ scenarios: z.array(scenarioResponseSchema) }) },
        },
      }),
      async (c) => {
        const pendingFor = c.req.query("pendingFor");
        const list = (await scenariosVisibleTo(deps.db, c.get("participant"))).map(({ scenario, approvals }) =>
          scenarioResponse(scenario, approvals, now()),
        );
        return c.json({
          scenarios: pendingFor
            ? list.filter((s) => s.approvals.some((a) => a.ownerId === pendingFor && a.decision === "pending"))
            : list,
        });
      },
    )
    .get(
      "/scenarios/:id",
      describe({
        summary: "A scenario with its approvals",
        tag: "scenarios",
        responses: { 200: { description: "The scenario", schema: scenarioResponseSchema } },
        problems: ["forbidden"],
      }),
      async (c) => {
        const loaded = await loadScenario(deps.db, c.req.param("id"));
        assertScenarioParty(c.get("participant"), loaded);
        return c.json(respond(loaded));
      },
    )
    .get(
      "/scenarios/:id/events",
      describe({
        summary: "A scenario's history",
        tag: "scenarios",
        description:
          "For the scenario's operator, the owners whose data it uses, the authority, regulators and sector departments.",
        responses: {
          200: {
            description: "Events, oldest first",
            schema: z.strictObject({ events: z.array(authorisationEventResponseSchema) }),
          },
        },
        problems: ["forbidden"],
      }),
      async (c) => {
        assertScenarioParty(c.get("participant"), await loadScenario(deps.db, c.req.param("id")));
        const events = await deps.db
          .select()
          .from(authorisationEvents)
          .where(
            and(eq(authorisationEvents.subjectType, "scenario"), eq(authorisationEvents.subjectId, c.req.param("id"))),
          )
          .orderBy(asc(authorisationEvents.at));
        return c.json({ events });
      },
    )
    .post(
      "/scenarios/:id/decisions",
      describe({
        summary: "Approve or reject a scenario",
        description:
          "An approval carries the owner's Ed25519 signature over the scenario's terms (the SDK makes it); a rejection needs a reason.",
        tag: "scenarios",
        roles: ["owner"],
        body: scenarioDecisionSchema,
        responses: { 200: { description: "The scenario after the decision", schema: scenarioResponseSchema } },
        problems: ["forbidden", "conflict", "approval_signature_invalid"],
      }),
      async (c) => {
        const owner = c.get("participant");
        const input = await jsonBody(c, scenarioDecisionSchema);
        return c.json(
          respond(
            await decideScenario(deps.db, owner, c.req.param("id"), input.decision, input.reason, input.signature),
          ),
        );
      },
    );

  for (const action of ["suspend", "resume", "revoke"] as const) {
    app.post(
      `/scenarios/:id/${action}`,
      describe({
        summary: `${action[0]?.toUpperCase()}${action.slice(1)} a scenario`,
        description:
          "The authority; an owner involved (resume only a suspension of its own); the operator may revoke (withdraw) its own scenario.",
        tag: "scenarios",
        roles: ["authority", "owner", "operator"],
        body: statusChangeSchema,
        responses: { 200: { description: "The scenario after the change", schema: scenarioResponseSchema } },
        problems: ["forbidden", "conflict"],
      }),
      async (c) => {
        const actor = c.get("participant");
        const { reason } = await jsonBody(c, statusChangeSchema);
        return c.json(respond(await changeScenarioStatus(deps.db, actor, c.req.param("id"), action, reason)));
      },
    );
  }
  return app;
}
