import type { MiddlewareHandler } from "hono";
import type { ParticipantRole } from "../../store/index.js";
import type { ConsoleEnv } from "./env.js";
import { pageOf } from "./page-context.js";
import { ErrorPage } from "./pages/error.js";

/** Lets through only the roles a page is for; anyone else gets a 403 page saying so. */
export function onlyFor(...roles: ParticipantRole[]): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    if (roles.includes(c.get("participant").role)) return next();
    const page = pageOf(c);
    return c.html(<ErrorPage page={page} message={page.t("error.forbidden")} />, 403);
  };
}
