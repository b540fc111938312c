import type { Context } from "hono";
import { z } from "zod";
import { canonicalize } from "../../lib/canonical-json.js";

export const SESSION_COOKIE = "sluice_console";
export const LANGUAGE_COOKIE = "sluice_lang";

/**
 * What a participant signs to sign in: the challenge, bound to the console's origin (a page
 * elsewhere that relays a challenge gets a signature over its own origin, which is refused) and
 * separated by `kind` from everything else the same key signs (requests, approvals).
 */
export function signInMessage(challenge: string, origin: string, participantId: string): string {
  return canonicalize({ kind: "sluice/console-sign-in", challenge, origin, participantId });
}

export const signInFormSchema = z.object({
  challenge: z.string().regex(/^[A-Za-z0-9_-]{43}$/, "the challenge is not one this console issues"),
  participantId: z.string().min(1).max(200),
  signature: z.string().regex(/^[A-Za-z0-9_-]{86}$/, "an Ed25519 signature is 64 bytes of base64url"),
});

export function expectedOrigin(c: Context, publicOrigin: string | undefined): string {
  return publicOrigin ?? new URL(c.req.url).origin;
}

/**
 * Whether a form post comes from the console's own pages: a browser's Sec-Fetch-Site, when sent,
 * must say same-origin, and its Origin, when sent, must be the console's. The CSRF token (or, for
 * sign-in, the single-use challenge) is checked besides.
 */
export function postIsSameOrigin(c: Context, origin: string): boolean {
  const site = c.req.header("sec-fetch-site");
  if (site !== undefined && site !== "same-origin") return false;
  const sent = c.req.header("origin");
  return sent === undefined || sent === origin;
}
