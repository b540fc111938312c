import type { Context, Hono } from "hono";
import { ConflictError, SluiceError } from "../../lib/errors.js";
import type { Logger } from "../../lib/logger.js";
import { problem, problemFromError, statusOf } from "../../lib/problem.js";
import type { GatewayEnv } from "../deps.js";

function routePattern(path: string): RegExp {
  const escaped = path
    .split("/")
    .map((part) => (part.startsWith(":") ? "[^/]+" : part === "*" ? ".*" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${escaped}/?$`);
}

// PostgreSQL's unique_violation, as raised by either driver (drizzle wraps it in `cause`).
function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === "23505") return true;
  }
  return false;
}

// Route patterns are compiled once per app, not on every request (the check runs before authentication).
const compiledRoutes = new WeakMap<
  Hono<GatewayEnv>,
  { count: number; routes: { method: string; pattern: RegExp }[] }
>();

/** The methods the app serves at a path (empty when the path is unknown). */
export function allowedMethods(app: Hono<GatewayEnv>, path: string): string[] {
  let compiled = compiledRoutes.get(app);
  if (!compiled || compiled.count !== app.routes.length) {
    const routes = app.routes
      .filter((r) => r.method !== "ALL")
      .map((r) => ({ method: r.method, pattern: routePattern(r.path) }));
    compiled = { count: app.routes.length, routes };
    compiledRoutes.set(app, compiled);
  }
  return [...new Set(compiled.routes.filter((r) => r.pattern.test(path)).map((r) => r.method))];
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
