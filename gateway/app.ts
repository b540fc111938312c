import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { createLogger } from "../lib/logger.js";
import { problem } from "../lib/problem.js";
import { createAuthState } from "./auth/auth-state.js";
import { createConsole } from "./console/app.js";
import { DEFAULT_LIMITS, type GatewayDeps, type GatewayEnv } from "./deps.js";
import { authenticate } from "./middleware/authenticate.js";
import { installFallbacks } from "./middleware/errors.js";
import { createRateLimiter } from "./middleware/rate-limit.js";
import { assertEveryRouteDocumented } from "./openapi/document.js";
import { routeAt } from "./route-table.js";
import { createAssetRoutes } from "./routes/assets.js";
import { createAuditRoutes } from "./routes/audits.js";
import { createAutoApprovalRoutes } from "./routes/auto-approval.js";
import { createCatalogueRoutes } from "./routes/catalogue.js";
import { createDocsRoutes } from "./routes/docs.js";
import { createGrantRoutes } from "./routes/grants.js";
import { createHeKeyRoutes } from "./routes/he-keys.js";
import { createHealthRoutes } from "./routes/health.js";
import { createJobRoutes } from "./routes/jobs.js";
import { createLedgerRoutes } from "./routes/ledger.js";
import { createParticipantRoutes } from "./routes/participants.js";
import { createPsiRoutes } from "./routes/psi.js";
import { createScenarioRoutes } from "./routes/scenarios.js";
import { createSettlementRoutes } from "./routes/settlements.js";

/**
 * The Sluice HTTP API. Pure composition: every dependency is passed in, nothing is opened here.
 *
 * @example
 * const app = createApp({ db, pingDatabase, ledger, gatewayKeys });
 * const response = await app.request("/health");
 */
export function createApp(deps: GatewayDeps): Hono<GatewayEnv> {
  const limits = { ...DEFAULT_LIMITS, ...deps.limits };
  const logger = deps.logger ?? createLogger({ service: "gateway" });
  const app = new Hono<GatewayEnv>();

  app.use("*", requestId());
  app.use("*", async (c, next) => {
    if (!logger.isLevelEnabled("info")) return next();
    const started = performance.now();
    await next();
    logger.info(
      {
        requestId: c.get("requestId"),
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
        participant: c.get("participant")?.id,
      },
      "request",
    );
  });
  // A declared Content-Length above the route's limit is refused before anything else; the body
  // itself is read only once the signature holds, and never past the limit (authenticate.ts).
  // GET and HEAD bodies are never read (their signatures cover the empty body). Routes that carry
  // keys declare a larger limit in their doc.
  app.use("*", async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const maxBodyBytes = routeAt(app, c.req.method, c.req.path)?.doc?.maxBodyBytes ?? limits.maxBodyBytes;
    c.set("maxBodyBytes", maxBodyBytes);
    const declared = Number(c.req.header("content-length") ?? 0);
    if (declared > maxBodyBytes) {
      return problem(c, 413, "payload_too_large", `the body is larger than ${maxBodyBytes} bytes`);
    }
    await next();
  });
  const auth =
    deps.auth ?? createAuthState({ db: deps.db, logger, now: deps.now && (() => deps.now?.().getTime() ?? 0) });
  const verify = authenticate(deps, limits, auth);
  const rateLimiter = createRateLimiter({
    perMinute: limits.rateLimitPerMinute,
    ...(deps.replicated ? { shared: deps.db } : {}),
  });
  // Unknown routes and methods get their 404/405 without a signature, public routes (their doc says
  // so) need none; everything else is verified.
  app.use("*", async (c, next) => {
    const route = routeAt(app, c.req.method, c.req.path);
    if (!route || route.doc?.public) return next();
    return verify(c, async () => {
      await rateLimiter.take(c.get("participant").id);
      await next();
    });
  });

  // The web console signs in with a session cookie rather than signed requests, and is not part of
  // the API: it is reached through one catch-all route, which the route table and OpenAPI skip.
  const consoleApp = createConsole({ ...deps, logger, auth }, deps.console);
  const toConsole = (c: { req: { raw: Request } }) => consoleApp.fetch(c.req.raw);
  app.all("/console", toConsole);
  app.all("/console/*", toConsole);

  app.route("/", createHealthRoutes(deps, limits));
  app.route(
    "/",
    createDocsRoutes(() => app),
  );
  app.route("/", createParticipantRoutes({ ...deps, auth }));
  app.route("/", createCatalogueRoutes(deps));
  app.route("/", createGrantRoutes(deps));
  app.route("/", createScenarioRoutes(deps));
  app.route("/", createAutoApprovalRoutes(deps));
  app.route("/", createPsiRoutes({ ...deps, logger }, limits));
  app.route("/", createSettlementRoutes({ ...deps, logger }));
  app.route("/", createAssetRoutes(deps));
  app.route("/", createAuditRoutes({ ...deps, logger }));
  app.route("/", createJobRoutes({ ...deps, logger }, limits));
  app.route("/", createLedgerRoutes(deps));
  app.route("/", createHeKeyRoutes(deps));
  installFallbacks(app, logger);
  assertEveryRouteDocumented(app);
  return app;
}
