import type { MiddlewareHandler } from "hono";
import type { ParticipantRole } from "../../store/index.js";
import type { ConsoleEnv } from "./env.js";
import { refuse } from "./page-context.js";

/** Lets through only the roles a page is for; anyone else gets a 403 page saying so. */
export function onlyFor(...roles: ParticipantRole[]): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    if (roles.includes(c.get("participant").role)) return next();
    return refuse(c, "error.forbidden", 403);
  };
}
