import { and, desc, eq, ne } from "drizzle-orm";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { AuthenticationError, ForbiddenError, SluiceError } from "../../lib/errors.js";
import {
  type ProfileSignature,
  readSignatureInput,
  signatureMatchesKey,
  verifyRequestAsync,
} from "../../lib/http-signature.js";
import { type Db, type Participant, type ParticipantRole, participantKeys } from "../../store/index.js";
import type { AuthState } from "../auth/auth-state.js";
import { AuthFailureLimit } from "../auth/failure-limit.js";
import { clientAddress } from "../client-address.js";
import type { GatewayDeps, GatewayEnv, GatewayLimits } from "../deps.js";

const EMPTY = new Uint8Array(0);

/** The most retired keys checked against a failed signature: beyond them, a forgery is not told from an old key. */
const MAX_RETIRED_KEYS_CHECKED = 8;

/**
 * The retired key of this participant that signed the request, if any: then it is a revoked key,
 * not a forgery. The newest few only, verified off the event loop, so that a flood of bad
 * signatures for a participant with many old keys costs the gateway little.
 */
async function retiredKeyThatSigned(db: Db, c: Context, participant: Participant, signature: ProfileSignature) {
  const retired = await db
    .select()
    .from(participantKeys)
    .where(and(eq(participantKeys.participantId, participant.id), ne(participantKeys.status, "active")))
    .orderBy(desc(participantKeys.createdAt))
    .limit(MAX_RETIRED_KEYS_CHECKED);
  const request = { method: c.req.method, url: c.req.url, headers: c.req.raw.headers, signature };
  const matches = await Promise.all(retired.map((k) => signatureMatchesKey(request, k.publicKey)));
  return retired[matches.indexOf(true)];
}

/** Reads a request's body, refusing it (413) as soon as it passes `limit` bytes. */
async function readLimited(request: Request, limit = Number.POSITIVE_INFINITY): Promise<Uint8Array> {
  if (!request.body) return EMPTY;
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      // Not awaited: cancelling one branch of a tee settles only when the other branch is cancelled too.
      void reader.cancel().catch(() => {});
      throw new SluiceError("payload_too_large", `the body is larger than ${limit} bytes`);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  return body;
}

/**
 * Verifies the RFC 9421 signature of every request, refuses a nonce seen within the validity
 * window, and puts the signing participant in the context.
 */
export function authenticate(deps: GatewayDeps, limits: GatewayLimits, auth: AuthState) {
  const clock = deps.now;
  const failures = new AuthFailureLimit(limits.authFailuresPerMinute, clock ? () => clock().getTime() : undefined);
  return createMiddleware<GatewayEnv>(async (c, next) => {
    const address = clientAddress(c);
    failures.check(address);
    try {
      await verifySignature(c);
    } catch (error) {
      if (error instanceof AuthenticationError) failures.record(address);
      throw error;
    }
    await next();
  });

  async function verifySignature(c: Context<GatewayEnv>) {
    const signature = readSignatureInput(c.req.raw.headers);
    const { keyId } = signature;
    await auth.ready();
    const participant = await auth.participants.get(keyId);
    if (!participant) throw new AuthenticationError("key_unknown", `no participant ${keyId} is admitted`);
    if (participant.status !== "active") throw new AuthenticationError("key_revoked", `${keyId} is revoked`);
    // Read only once the signature holds (verifyRequestAsync), so an unsigned caller buffers nothing,
    // and never past the route's limit.
    const body = c.req.method === "GET" ? EMPTY : () => readLimited(c.req.raw.clone(), c.get("maxBodyBytes"));
    const now = deps.now?.() ?? new Date();
    let verified: Awaited<ReturnType<typeof verifyRequestAsync>>;
    try {
      verified = await verifyRequestAsync({
        method: c.req.method,
        url: c.req.url,
        headers: c.req.raw.headers,
        signature,
        body,
        publicKey: participant.publicKey,
        now: Math.floor(now.getTime() / 1000),
        maxSkewSeconds: limits.maxClockSkewSeconds,
      });
    } catch (error) {
      if (error instanceof AuthenticationError && error.code === "signature_invalid") {
        const retired = await retiredKeyThatSigned(deps.db, c, participant, signature);
        if (retired) {
          const when = retired.retiredAt ? ` at ${retired.retiredAt.toISOString()}` : "";
          throw new AuthenticationError(
            "key_revoked",
            `the key that signed this request was ${retired.status}${when}`,
            {
              cause: error,
            },
          );
        }
      }
      throw error;
    }

    // A nonce is remembered until its signature could no longer pass the clock-skew check.
    const expiresAt = new Date((verified.created + limits.maxClockSkewSeconds + 1) * 1000);
    if (!(await auth.nonces.claim(keyId, verified.nonce, expiresAt)))
      throw new AuthenticationError("replayed", `nonce ${verified.nonce} was already used by ${keyId}`);

    c.set("participant", participant);
  }
}

/** The signing participant, refused unless it holds one of the roles. */
export function requireRole(c: Context<GatewayEnv>, ...roles: ParticipantRole[]): Participant {
  const participant = c.get("participant");
  if (!roles.includes(participant.role)) {
    throw new ForbiddenError(`this needs the role ${roles.join(" or ")}; ${participant.id} is ${participant.role}`);
  }
  return participant;
}
