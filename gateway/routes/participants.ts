import { and, asc, eq } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { verifyParticipantEvent } from "../../ledger/index.js";
import { NotFoundError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { jsonBody } from "../../lib/validate.js";
import { authorisationEvents, participantKeys, participants } from "../../store/index.js";
import type { AuthState } from "../auth/auth-state.js";
import type { GatewayDeps, GatewayEnv } from "../deps.js";
import { describe } from "../openapi/describe.js";
import {
  anchoredEventResponseSchema,
  participantKeyResponseSchema,
  participantResponseSchema,
} from "../openapi/responses.js";

import { admitParticipantSchema, rotateKeySchema, statusChangeSchema } from "../schemas.js";
import { recordEvent } from "../services/events.js";
import { insertParticipant, revokeParticipant, rotateKey } from "../services/participants.js";

export function participantView(p: typeof participants.$inferSelect) {
  return {
    id: p.id,
    name: p.name,
    role: p.role,
    sector: p.sector,
    publicKey: p.publicKey,
    status: p.status,
    createdAt: p.createdAt,
  };
}

/** The authority admits organisations, each with an Ed25519 key and one role; keys rotate and are revoked. */
export function createParticipantRoutes(deps: GatewayDeps & { auth: AuthState }) {
  const now = () => deps.now?.() ?? new Date();
  return new Hono<GatewayEnv>()
    .post(
      "/participants",
      describe({
        summary: "Admit a participant",
        description:
          "Admits an organisation with its Ed25519 public key and one role; the admission is anchored in ParticipantRegistry.",
        tag: "participants",
        roles: ["authority"],
        body: admitParticipantSchema,
        responses: { 201: { description: "Admitted", schema: participantResponseSchema } },
        problems: ["conflict"],
      }),
      async (c) => {
        const authority = c.get("participant");
        const input = await jsonBody(c, admitParticipantSchema);
        const id = input.id ?? newId(input.role === "sector" ? "dept" : input.role, 8);
        const row = await deps.db.transaction(async (tx) => {
          const admitted = await insertParticipant(tx, {
            id,
            name: input.name,
            role: input.role,
            publicKey: input.publicKey,
            sector: input.sector ?? null,
            admittedBy: authority.id,
          });
          await recordEvent(tx, {
            subjectType: "participant",
            subjectId: id,
            actorId: authority.id,
            action: "admitted",
            details: { role: input.role, publicKey: input.publicKey },
          });
          return admitted;
        });
        deps.auth.participants.forget(row.id);
        return c.json(participantView(row), 201);
      },
    )
    .get(
      "/participants",
      describe({
        summary: "List participants",
        tag: "participants",
        responses: {
          200: {
            description: "Every admitted participant",
            schema: z.strictObject({ participants: z.array(participantResponseSchema) }),
          },
        },
      }),
      async (c) => c.json({ participants: (await deps.db.select().from(participants)).map(participantView) }),
    )
    .get(
      "/participants/:id",
      describe({
        summary: "A participant",
        tag: "participants",
        responses: { 200: { description: "The participant", schema: participantResponseSchema } },
      }),
      async (c) => {
        const row = await deps.auth.participants.get(c.req.param("id"));
        if (!row) throw new NotFoundError("participant", c.req.param("id"));
        return c.json(participantView(row));
      },
    )
    .get(
      "/participants/:id/events",
      describe({
        summary: "A participant's admission, rotations and revocation, each checked against the chain",
        tag: "participants",
        roles: ["authority", "regulator"],
        responses: {
          200: {
            description: "Events in order, each with its ParticipantRegistry check",
            schema: z.strictObject({ events: z.array(anchoredEventResponseSchema), registry: z.string().nullable() }),
          },
        },
      }),
      async (c) => {
        const events = await deps.db
          .select()
          .from(authorisationEvents)
          .where(
            and(
              eq(authorisationEvents.subjectType, "participant"),
              eq(authorisationEvents.subjectId, c.req.param("id")),
            ),
          )
          .orderBy(asc(authorisationEvents.at));
        if (events.length === 0) throw new NotFoundError("participant", c.req.param("id"));
        const registry = deps.participantRegistry;
        const checked = await Promise.all(
          events.map(async (event) => ({
            ...event,
            anchor: registry ? await verifyParticipantEvent(registry, event) : null,
          })),
        );
        return c.json({ events: checked, registry: registry?.address ?? null });
      },
    )
    .get(
      "/participants/:id/keys",
      describe({
        summary: "Every key a participant has held",
        tag: "participants",
        responses: {
          200: {
            description: "Keys, oldest first",
            schema: z.strictObject({ keys: z.array(participantKeyResponseSchema) }),
          },
        },
      }),
      async (c) => {
        const keys = await deps.db
          .select()
          .from(participantKeys)
          .where(eq(participantKeys.participantId, c.req.param("id")))
          .orderBy(asc(participantKeys.createdAt));
        if (keys.length === 0) throw new NotFoundError("participant", c.req.param("id"));
        return c.json({ keys });
      },
    )
    .post(
      "/participants/:id/keys",
      describe({
        summary: "Rotate a participant's key",
        description: "The participant itself or the authority; the old key stops working at once.",
        tag: "participants",
        body: rotateKeySchema,
        responses: { 200: { description: "The participant with its new key", schema: participantResponseSchema } },
        problems: ["forbidden", "conflict"],
      }),
      async (c) => {
        const { publicKey } = await jsonBody(c, rotateKeySchema);
        const actor = c.get("participant");
        const row = await deps.db.transaction(async (tx) => {
          const rotated = await rotateKey(tx, actor, c.req.param("id"), publicKey, now());
          await recordEvent(tx, {
            subjectType: "participant",
            subjectId: rotated.id,
            actorId: actor.id,
            action: "key-rotated",
            details: { publicKey },
          });
          return rotated;
        });
        deps.auth.participants.forget(row.id);
        return c.json(participantView(row));
      },
    )
    .post(
      "/participants/:id/revoke",
      describe({
        summary: "Revoke a participant",
        description: "The authority, or a participant revoking itself; its keys stop working at once.",
        tag: "participants",
        body: statusChangeSchema,
        responses: { 200: { description: "The revoked participant", schema: participantResponseSchema } },
        problems: ["forbidden", "conflict"],
      }),
      async (c) => {
        const { reason } = await jsonBody(c, statusChangeSchema);
        const actor = c.get("participant");
        const row = await deps.db.transaction(async (tx) => {
          const revoked = await revokeParticipant(tx, actor, c.req.param("id"), now());
          await recordEvent(tx, {
            subjectType: "participant",
            subjectId: revoked.id,
            actorId: actor.id,
            action: "revoked",
            reason,
          });
          return revoked;
        });
        deps.auth.participants.forget(row.id);
        return c.json(participantView(row));
      },
    );
}
