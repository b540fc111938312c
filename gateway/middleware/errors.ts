import type { Context, Hono } from "hono";
import { ConflictError, SluiceError } from "../../lib/errors.js";
import type { Logger } from "../../lib/logger.js";
import { problem, problemFromError, statusOf } from "../../lib/problem.js";
import type { GatewayEnv } from "../deps.js";
import { allowedMethods } from "../route-table.js";

// PostgreSQL's unique_violation, as raised by either driver (drizzle wraps it in `cause`).
function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === "23505") return true;
  }
  return false;
}

/** 404 for unknown paths, 405 with Allow for known paths asked with another method, both problem+json. */
export function installFallbacks(app: Hono<GatewayEnv>, logger: Logger) {
  app.notFound((c) => {
    const allowed = allowedMethods(app, c.req.path);
    if (allowed.length > 0) {
      c.header("allow", allowed.join(", "));
      return problem(
        c,
        405,
        "method_not_allowed",
        `${c.req.method} is not allowed on ${c.req.path}; use ${allowed.join(", ")}`,
        {
          requestId: c.get("requestId"),
        },
      );
    }
    return problem(c, 404, "not_found", `no route ${c.req.method} ${c.req.path}`, { requestId: c.get("requestId") });
  });

  app.onError((thrown, c: Context<GatewayEnv>) => {
    const requestId = c.get("requestId");
    const error = isUniqueViolation(thrown)
      ? new ConflictError("that already exists (a concurrent request created it)", { cause: thrown })
      : thrown;
    const status = error instanceof SluiceError ? statusOf(error) : 500;
    if (status >= 500) logger.error({ requestId, path: c.req.path, err: error }, "request failed");
    return problemFromError(c, error, requestId);
  });
}
