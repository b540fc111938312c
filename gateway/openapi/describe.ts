import type { MiddlewareHandler } from "hono";
import type { z } from "zod";
import type { ErrorCode } from "../../lib/error-codes.js";
import type { ParticipantRole } from "../../store/index.js";
import type { GatewayEnv } from "../deps.js";
import { requireRole } from "../middleware/authenticate.js";

export const TAGS = {
  system: "Health and documentation",
  participants: "Participants and keys",
  catalogue: "Compute nodes and datasets",
  grants: "Comprehensive and sector authorisations",
  scenarios: "Scenarios and owner approvals",
  jobs: "Queries (jobs) and result review",
  ledger: "Usage ledger and audit",
  he: "Homomorphic encryption keys",
} as const;
export type Tag = keyof typeof TAGS;

export interface ResponseDoc {
  description: string;
  schema?: z.ZodType;
  /** application/json unless said otherwise. */
  contentType?: string;
}

/** What a route is, for people and for the OpenAPI document; attached to the route itself. */
export interface RouteDoc {
  summary: string;
  description?: string;
  tag: Tag;
  /** The roles that may call it, enforced by `describe`; absent means any admitted participant. */
  roles?: readonly ParticipantRole[];
  /** Served without a signature. */
  public?: boolean;
  body?: z.ZodType;
  query?: z.ZodObject;
  responses: Record<number, ResponseDoc>;
  /** A larger body limit than the gateway's default, for routes that carry keys. */
  maxBodyBytes?: number;
  /** Problem codes this route answers beyond the ones every route of its kind can (see document.ts). */
  problems?: readonly ErrorCode[];
}

const DOC = Symbol.for("sluice.routeDoc");
type Documented = MiddlewareHandler<GatewayEnv> & { [DOC]: RouteDoc };

/**
 * The first handler of every route: carries the route's documentation and enforces its roles.
 *
 * @example
 * app.get("/grants/:id", describe({ summary: "A grant", tag: "grants", responses: { 200: { ... } } }), handler)
 */
export function describe(doc: RouteDoc): MiddlewareHandler<GatewayEnv> {
  const roles = doc.roles;
  const middleware: MiddlewareHandler<GatewayEnv> = async (c, next) => {
    if (roles) requireRole(c, ...roles);
    await next();
  };
  return Object.assign(middleware, { [DOC]: doc }) satisfies Documented;
}

export function docOf(handler: unknown): RouteDoc | undefined {
  return typeof handler === "function" ? (handler as Partial<Documented>)[DOC] : undefined;
}
