import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { ConflictError, NotFoundError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { jsonBody } from "../../lib/validate.js";
import { participants } from "../../store/index.js";
import type { GatewayDeps, GatewayEnv } from "../deps.js";
import { requireRole } from "../middleware/authenticate.js";
import { admitParticipantSchema } from "../schemas.js";

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

/** The authority admits organisations, each with an Ed25519 key and one role. */
export function createParticipantRoutes(deps: GatewayDeps) {
  return new Hono<GatewayEnv>()
    .post("/participants", async (c) => {
      const authority = requireRole(c, "authority");
      const input = await jsonBody(c, admitParticipantSchema);
      const id = input.id ?? newId(input.role === "sector" ? "dept" : input.role, 8);
      const [clash] = await deps.db
        .select({ id: participants.id })
        .from(participants)
        .where(eq(participants.publicKey, input.publicKey));
      if (clash) throw new ConflictError(`this public key is already admitted as ${clash.id}`);
      const [existing] = await deps.db
        .select({ id: participants.id })
        .from(participants)
        .where(eq(participants.id, id));
      if (existing) throw new ConflictError(`participant ${id} already exists`);
      const [row] = await deps.db
        .insert(participants)
        .values({
          id,
          name: input.name,
          role: input.role,
          publicKey: input.publicKey,
          sector: input.sector ?? null,
          admittedBy: authority.id,
        })
        .returning();
      return c.json(participantView(row as typeof participants.$inferSelect), 201);
    })
    .get("/participants", async (c) =>
      c.json({ participants: (await deps.db.select().from(participants)).map(participantView) }),
    )
    .get("/participants/:id", async (c) => {
      const [row] = await deps.db
        .select()
        .from(participants)
        .where(eq(participants.id, c.req.param("id")));
      if (!row) throw new NotFoundError("participant", c.req.param("id"));
      return c.json(participantView(row));
    });
}
