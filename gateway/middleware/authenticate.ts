import { eq } from "drizzle-orm";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { AuthenticationError, ForbiddenError } from "../../lib/errors.js";
import { readSignatureInput, verifyRequest } from "../../lib/http-signature.js";
import { type Participant, type ParticipantRole, participants } from "../../store/index.js";
import type { GatewayDeps, GatewayEnv, GatewayLimits } from "../deps.js";

/** Verifies the RFC 9421 signature of every request and puts the signing participant in the context. */
export function authenticate(deps: GatewayDeps, limits: GatewayLimits) {
  return createMiddleware<GatewayEnv>(async (c, next) => {
    const { keyId } = readSignatureInput(c.req.raw.headers);
    const [participant] = await deps.db.select().from(participants).where(eq(participants.id, keyId));
    if (!participant) throw new AuthenticationError(`no participant ${keyId} is admitted`);
    if (participant.status !== "active") throw new AuthenticationError(`the key of ${keyId} is revoked`);
    const body = new Uint8Array(await c.req.raw.clone().arrayBuffer());
    verifyRequest({
      method: c.req.method,
      url: c.req.url,
      headers: c.req.raw.headers,
      body,
      publicKey: participant.publicKey,
      now: Math.floor((deps.now?.() ?? new Date()).getTime() / 1000),
      maxSkewSeconds: limits.maxClockSkewSeconds,
    });
    c.set("participant", participant);
    await next();
  });
}

/** The signing participant, refused unless it holds one of the roles. */
export function requireRole(c: Context<GatewayEnv>, ...roles: ParticipantRole[]): Participant {
  const participant = c.get("participant");
  if (!roles.includes(participant.role)) {
    throw new ForbiddenError(`this needs the role ${roles.join(" or ")}; ${participant.id} is ${participant.role}`);
  }
  return participant;
}
