import type { Hono } from "hono";
import type { GatewayEnv } from "./deps.js";
import { docOf, type RouteDoc } from "./openapi/describe.js";

export interface RouteEntry {
  method: string;
  /** Hono's pattern, e.g. /datasets/:id */
  path: string;
  doc: RouteDoc | undefined;
}

interface CompiledRoute extends RouteEntry {
  pattern: RegExp;
}

function routePattern(path: string): RegExp {
  const escaped = path
    .split("/")
    .map((part) => (part.startsWith(":") ? "[^/]+" : part === "*" ? ".*" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${escaped}/?$`);
}

// Compiled once per app (and again only if routes are added), not on every request; lookups of
// recent method and path pairs are remembered.
const compiled = new WeakMap<
  Hono<GatewayEnv>,
  { count: number; routes: CompiledRoute[]; lookups: Map<string, RouteEntry | undefined> }
>();
const MAX_REMEMBERED_LOOKUPS = 10_000;

function compile(app: Hono<GatewayEnv>) {
  let table = compiled.get(app);
  if (!table || table.count !== app.routes.length) {
    const byKey = new Map<string, CompiledRoute>();
    for (const route of app.routes) {
      if (route.method === "ALL") continue;
      const key = `${route.method} ${route.path}`;
      const entry = byKey.get(key) ?? {
        method: route.method,
        path: route.path,
        doc: undefined,
        pattern: routePattern(route.path),
      };
      entry.doc ??= docOf(route.handler);
      byKey.set(key, entry);
    }
    table = { count: app.routes.length, routes: [...byKey.values()], lookups: new Map() };
    compiled.set(app, table);
  }
  return table;
}

/** Every route of the app (method-specific ones, not `use` middleware) with the doc its `describe` carries. */
export function routeTable(app: Hono<GatewayEnv>): CompiledRoute[] {
  return compile(app).routes;
}

/** The methods the app serves at a path (empty when the path is unknown). */
export function allowedMethods(app: Hono<GatewayEnv>, path: string): string[] {
  return [
    ...new Set(
      routeTable(app)
        .filter((r) => r.pattern.test(path))
        .map((r) => r.method),
    ),
  ];
}

/** The route a request reaches, if any. HEAD reaches the GET route, as in Hono. */
export function routeAt(app: Hono<GatewayEnv>, method: string, path: string): RouteEntry | undefined {
  const wanted = method === "HEAD" ? "GET" : method;
  const { routes, lookups } = compile(app);
  const key = `${wanted} ${path}`;
  if (lookups.has(key)) return lookups.get(key);
  const matches = routes.filter((r) => r.method === wanted && r.pattern.test(path));
  const found = matches.find((r) => !r.path.includes(":")) ?? matches[0];
  if (lookups.size >= MAX_REMEMBERED_LOOKUPS) lookups.clear();
  lookups.set(key, found);
  return found;
}
