import { and, eq } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { verifyRule } from "../../lib/approvals.js";
import { canonicalHash } from "../../lib/canonical-json.js";
import { NotFoundError, SluiceError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { jsonBody } from "../../lib/validate.js";
import { autoApprovalRules } from "../../store/index.js";
import type { GatewayDeps, GatewayEnv } from "../deps.js";
import { describe } from "../openapi/describe.js";
import { autoApprovalRuleResponseSchema } from "../openapi/responses.js";

import { autoApprovalRuleSchema } from "../schemas.js";
import { recordEvent } from "../services/events.js";
import { toMicro } from "../services/scenarios.js";

/** An owner's standing rules for approving matching scenarios without a clerk. */
export function createAutoApprovalRoutes(deps: GatewayDeps) {
  return new Hono<GatewayEnv>()
    .post(
      "/auto-approval-rules",
      describe({
        summary: "Create a standing auto-approval rule",
        description:
          "The owner signs the rule; its compute nodes accept what the rule approves only with that signature.",
        tag: "scenarios",
        roles: ["owner"],
        body: autoApprovalRuleSchema,
        responses: { 201: { description: "Created", schema: autoApprovalRuleResponseSchema } },
        problems: ["approval_signature_invalid"],
      }),
      async (c) => {
        const owner = c.get("participant");
        const { maxEpsilonPerQuery, signature, ...input } = await jsonBody(c, autoApprovalRuleSchema);
        const content = { ownerId: owner.id, ...input, maxEpsilonPerQueryMicro: toMicro(maxEpsilonPerQuery) };
        // The owner signs the rule itself: its compute nodes accept what the rule approves only with that signature.
        if (!verifyRule(content, signature, owner.publicKey)) {
          throw new SluiceError("approval_signature_invalid", `the rule is not signed with ${owner.id}'s key`);
        }
        const id = newId("rule", 8);
        const row = await deps.db.transaction(async (tx) => {
          const [created] = await tx
            .insert(autoApprovalRules)
            .values({ id, ...content, signature })
            .returning();
          await recordEvent(tx, {
            subjectType: "auto_approval_rule",
            subjectId: id,
            actorId: owner.id,
            action: "created",
            details: { ...input, maxEpsilonPerQuery, contentHash: canonicalHash(content) },
          });
          return created;
        });
        return c.json(row, 201);
      },
    )
    .get(
      "/auto-approval-rules",
      describe({
        summary: "My auto-approval rules",
        tag: "scenarios",
        roles: ["owner"],
        responses: {
          200: {
            description: "The caller's rules",
            schema: z.strictObject({ rules: z.array(autoApprovalRuleResponseSchema) }),
          },
        },
      }),
      async (c) => {
        const owner = c.get("participant");
        return c.json({
          rules: await deps.db.select().from(autoApprovalRules).where(eq(autoApprovalRules.ownerId, owner.id)),
        });
      },
    )
    .delete(
      "/auto-approval-rules/:id",
      describe({
        summary: "Switch an auto-approval rule off",
        tag: "scenarios",
        roles: ["owner"],
        responses: { 204: { description: "Switched off" } },
      }),
      async (c) => {
        const owner = c.get("participant");
        const id = c.req.param("id");
        await deps.db.transaction(async (tx) => {
          const off = await tx
            .update(autoApprovalRules)
            .set({ active: false })
            .where(
              and(
                eq(autoApprovalRules.id, id),
                eq(autoApprovalRules.ownerId, owner.id),
                eq(autoApprovalRules.active, true),
              ),
            )
            .returning();
          if (off.length === 0) throw new NotFoundError("active auto-approval rule of yours", id);
          await recordEvent(tx, {
            subjectType: "auto_approval_rule",
            subjectId: id,
            actorId: owner.id,
            action: "switched-off",
          });
        });
        return c.body(null, 204);
      },
    );
}
