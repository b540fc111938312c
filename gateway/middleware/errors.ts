import type { Context, Hono } from "hono";
import { ConflictError, SluiceError } from "../../lib/errors.js";
import type { Logger } from "../../lib/logger.js";
import { problem, problemFromError, statusOf } from "../../lib/problem.js";
import { sqlStateOf, UNIQUE_VIOLATION } from "../../store/index.js";
import type { GatewayEnv } from "../deps.js";
import { allowedMethods } from "../route-table.js";

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
    const error =
      sqlStateOf(thrown) === UNIQUE_VIOLATION
        ? new ConflictError("that already exists (a concurrent request created it)", { cause: thrown })
        : thrown;
    const status = error instanceof SluiceError ? statusOf(error) : 500;
    if (status >= 500) logger.error({ requestId, path: c.req.path, err: error }, "request failed");
    return problemFromError(c, error, requestId);
  });
}
