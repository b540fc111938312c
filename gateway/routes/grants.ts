import { and, asc, eq } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { canonicalHash } from "../../lib/canonical-json.js";
import { ConflictError, ForbiddenError, NotFoundError, SluiceError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { jsonBody } from "../../lib/validate.js";
import { COMPUTE_MODES } from "../../lib/vocabulary.js";
import { sectorGrantExcess } from "../../policies/index.js";
import { authorisationEvents, grants, participants } from "../../store/index.js";
import type { GatewayDeps, GatewayEnv } from "../deps.js";
import { describe } from "../openapi/describe.js";
import { authorisationEventResponseSchema, grantResponseSchema } from "../openapi/responses.js";

import { grantSchema, statusChangeSchema } from "../schemas.js";
import { recordEvent } from "../services/events.js";
import { toGrantView } from "../services/views.js";

const TRANSITIONS = {
  suspend: { from: ["active"], to: "suspended" },
  resume: { from: ["suspended"], to: "active" },
  revoke: { from: ["active", "suspended"], to: "revoked" },
} as const;

/** Comprehensive grants come from the authority; sector grants from a sector department, inside them. */
export function createGrantRoutes(deps: GatewayDeps) {
  const now = () => deps.now?.() ?? new Date();
  const app = new Hono<GatewayEnv>()
    .post(
      "/grants",
      describe({
        summary: "Grant a comprehensive or sector authorisation",
        description:
          "The authority grants comprehensive authorisations (综合授权); a sector department grants sector authorisations (行业授权) inside them, refused when wider, naming each excess.",
        tag: "grants",
        roles: ["authority", "sector"],
        body: grantSchema,
        responses: { 201: { description: "Granted", schema: grantResponseSchema } },
        problems: ["forbidden", "not_found", "exceeds_upper_tier"],
      }),
      async (c) => {
        const grantor = c.get("participant");
        const input = await jsonBody(c, grantSchema);
        const [operator] = await deps.db.select().from(participants).where(eq(participants.id, input.operatorId));
        if (!operator || operator.role !== "operator") throw new NotFoundError("operator", input.operatorId);
        const tier = grantor.role === "authority" ? "comprehensive" : "sector";
        const computeModes = input.computeModes ?? (tier === "comprehensive" ? [...COMPUTE_MODES] : undefined);
        if (!computeModes)
          throw new SluiceError("validation_failed", "a sector authorisation names its allowed compute modes");
        if (tier === "sector") {
          if (input.sectors.some((s) => s !== grantor.sector)) {
            throw new ForbiddenError(`${grantor.id} may grant only for its own sector ${grantor.sector}`);
          }
          const comprehensive = await deps.db
            .select()
            .from(grants)
            .where(and(eq(grants.operatorId, operator.id), eq(grants.tier, "comprehensive")));
          const excess = sectorGrantExcess(
            { ...input, computeModes },
            comprehensive.map(toGrantView),
            now().toISOString(),
          );
          if (excess.length > 0) {
            throw new SluiceError(
              "exceeds_upper_tier",
              `the sector authorisation is wider than the comprehensive one: ${excess.map((e) => e.reason.en).join("; ")}`,
              { details: { tier: "comprehensive", excess: excess.map((e) => e.reason.en), reasons: excess } },
            );
          }
        }
        const id = newId("grant", 8);
        const content: typeof grants.$inferInsert = {
          id,
          tier,
          grantorId: grantor.id,
          operatorId: operator.id,
          regions: input.regions,
          sectors: input.sectors,
          datasetIds: input.datasetIds,
          categories: input.categories,
          computeModes,
          maxLevel: input.maxLevel,
          validFrom: new Date(input.validFrom),
          validUntil: new Date(input.validUntil),
        };
        const row = await deps.db.transaction(async (tx) => {
          const [created] = await tx.insert(grants).values(content).returning();
          await recordEvent(tx, {
            subjectType: "grant",
            subjectId: id,
            actorId: grantor.id,
            action: "granted",
            details: { contentHash: canonicalHash(content) },
          });
          return created;
        });
        return c.json(row, 201);
      },
    )
    .get(
      "/grants",
      describe({
        summary: "List grants",
        tag: "grants",
        query: z.object({ operatorId: z.string().optional().describe("only this operator's grants") }),
        responses: { 200: { description: "Grants", schema: z.strictObject({ grants: z.array(grantResponseSchema) }) } },
      }),
      async (c) => {
        const operatorId = c.req.query("operatorId");
        const rows = operatorId
          ? await deps.db.select().from(grants).where(eq(grants.operatorId, operatorId))
          : await deps.db.select().from(grants);
        return c.json({ grants: rows });
      },
    )
    .get(
      "/grants/:id",
      describe({
        summary: "A grant with its history",
        tag: "grants",
        responses: {
          200: {
            description: "The grant and its events",
            schema: grantResponseSchema.extend({ events: z.array(authorisationEventResponseSchema) }),
          },
        },
      }),
      async (c) => {
        const [grant] = await deps.db
          .select()
          .from(grants)
          .where(eq(grants.id, c.req.param("id")));
        if (!grant) throw new NotFoundError("grant", c.req.param("id"));
        const events = await deps.db
          .select()
          .from(authorisationEvents)
          .where(and(eq(authorisationEvents.subjectType, "grant"), eq(authorisationEvents.subjectId, grant.id)))
          .orderBy(asc(authorisationEvents.at));
        return c.json({ ...grant, events });
      },
    );

  for (const action of Object.keys(TRANSITIONS) as (keyof typeof TRANSITIONS)[]) {
    app.post(
      `/grants/:id/${action}`,
      describe({
        summary: `${action[0]?.toUpperCase()}${action.slice(1)} a grant`,
        description:
          "The authority, or the sector department that made the grant; the reason is kept in the grant's history.",
        tag: "grants",
        roles: ["authority", "sector"],
        body: statusChangeSchema,
        responses: { 200: { description: "The grant after the change", schema: grantResponseSchema } },
        problems: ["forbidden", "conflict"],
      }),
      async (c) => {
        const actor = c.get("participant");
        const { reason } = await jsonBody(c, statusChangeSchema);
        const id = c.req.param("id");
        const updated = await deps.db.transaction(async (tx) => {
          const [grant] = await tx.select().from(grants).where(eq(grants.id, id)).for("update");
          if (!grant) throw new NotFoundError("grant", id);
          if (actor.role !== "authority" && grant.grantorId !== actor.id)
            throw new ForbiddenError(`grant ${id} was made by ${grant.grantorId}`);
          const transition = TRANSITIONS[action];
          if (!(transition.from as readonly string[]).includes(grant.status)) {
            throw new ConflictError(
              `grant ${id} is ${grant.status}; it cannot be ${action === "resume" ? "resumed" : `${action}ed`}`,
            );
          }
          const [row] = await tx.update(grants).set({ status: transition.to }).where(eq(grants.id, id)).returning();
          await recordEvent(tx, {
            subjectType: "grant",
            subjectId: id,
            actorId: actor.id,
            action: transition.to === "active" ? "resumed" : transition.to,
            reason,
          });
          return row;
        });
        return c.json(updated);
      },
    );
  }
  return app;
}
