import type { Hono } from "hono";
import { z } from "zod";
import type { ErrorCode } from "../../lib/error-codes.js";
import { AUTHENTICATION_FAILURES } from "../../lib/errors.js";
import { problemTypeOf, statusOfCode, titleOf } from "../../lib/problem.js";
import type { GatewayEnv } from "../deps.js";
import { routeTable } from "../route-table.js";
import { type RouteDoc, TAGS } from "./describe.js";
import { problemResponseSchema } from "./responses.js";

type JsonSchema = Record<string, unknown>;

export class UndocumentedRouteError extends Error {
  constructor(readonly routes: string[]) {
    super(`routes without a describe(...) doc: ${routes.join(", ")}`);
  }
}

/** Every route must carry a doc; an undocumented one fails the app at start, not the reader later. */
export function assertEveryRouteDocumented(app: Hono<GatewayEnv>): void {
  const missing = routeTable(app)
    .filter((r) => !r.doc)
    .map((r) => `${r.method} ${r.path}`);
  if (missing.length > 0) throw new UndocumentedRouteError(missing);
}

// zod writes shared schemas (those with .meta({ id })) into $defs; OpenAPI keeps them in components.
function toSchema(schema: z.ZodType, io: "input" | "output", components: Record<string, JsonSchema>): JsonSchema {
  const converted = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any" }) as JsonSchema;
  const { $schema: _, $defs, ...rest } = converted;
  for (const [name, definition] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) {
    const { id: __, ...clean } = definition;
    components[name] = relink(clean) as JsonSchema;
  }
  return relink(rest) as JsonSchema;
}

function relink(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(relink);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) =>
        key === "$ref" && typeof inner === "string"
          ? [key, inner.replace("#/$defs/", "#/components/schemas/")]
          : [key, relink(inner)],
      ),
    );
  }
  return value;
}

/** The problems a route can answer: those of every route of its kind, then its own. */
export function problemCodesOf(doc: RouteDoc, path: string): ErrorCode[] {
  const codes: ErrorCode[] = [];
  if (!doc.public) codes.push(...AUTHENTICATION_FAILURES, "rate_limited", "payload_too_large");
  if (doc.roles) codes.push("forbidden");
  if (doc.body) codes.push("validation_failed", "malformed_json", "unsupported_media_type");
  if (doc.query) codes.push("validation_failed");
  if (path.includes(":")) codes.push("not_found");
  codes.push(...(doc.problems ?? []));
  return [...new Set(codes)];
}

const SIGNATURE_DESCRIPTION = `Every request except the public ones is signed with HTTP Message Signatures (RFC 9421) by the
participant's Ed25519 key. Signature-Input and Signature are RFC 8941 dictionaries: any label, several signatures allowed;
the gateway verifies the first whose covered components include \`"@method" "@path" "@query" "content-digest"\` (more may be
covered, e.g. \`"@authority"\` or any header) and whose parameters, in any order, carry \`created\` (unix s), \`keyid\` (the
participant id) and \`nonce\` (8–128 of A–Z a–z 0–9 - _), optionally \`expires\` and \`alg="ed25519"\`. Content-Digest
(RFC 9530) carries sha-256 and/or sha-512 of the exact body bytes (of the empty string when there is none); every member
of a known algorithm must match. A nonce is accepted once; \`created\` must be within the clock skew and \`expires\` ahead.
The SDK (\`createClient({ url, keyFile })\`) and the CLI sign for you; on /docs, load your key file to sign "Try it out" requests in the browser.`;

/** The OpenAPI 3.1 document of an app, generated from the docs its routes carry and their zod schemas. */
export function buildOpenApiDocument(app: Hono<GatewayEnv>, info: { version: string }) {
  assertEveryRouteDocumented(app);
  const components: Record<string, JsonSchema> = {};
  const problemRef = { $ref: `#/components/schemas/Problem` };
  components.Problem = toSchema(problemResponseSchema, "output", components);
  const paths: Record<string, Record<string, unknown>> = {};

  for (const route of routeTable(app)) {
    const doc = route.doc as RouteDoc;
    const openApiPath = route.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
    const pathParameters = [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    const queryParameters = doc.query
      ? Object.entries(doc.query.shape).map(([name, schema]) => ({
          name,
          in: "query",
          required: !(schema as z.ZodType).safeParse(undefined).success,
          description: (schema as z.ZodType).description,
          schema: toSchema(schema as z.ZodType, "input", components),
        }))
      : [];

    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(doc.responses)) {
      responses[status] = {
        description: response.description,
        ...(response.schema || response.contentType
          ? {
              content: {
                [response.contentType ?? "application/json"]: response.schema
                  ? { schema: toSchema(response.schema, "output", components) }
                  : {},
              },
            }
          : {}),
      };
    }
    const byStatus = new Map<number, string[]>();
    for (const code of problemCodesOf(doc, route.path)) {
      const status = statusOfCode(code);
      byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
    }
    byStatus.set(500, ["internal"]);
    for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
      responses[String(status)] = {
        description: `${titleOf(status)}: ${codes.map((code) => `\`${problemTypeOf(code)}\``).join(", ")}`,
        content: { "application/problem+json": { schema: problemRef } },
      };
    }

    const rolesNote = doc.roles ? `\n\nRoles: ${doc.roles.join(", ")}.` : "";
    paths[openApiPath] ??= {};
    paths[openApiPath][route.method.toLowerCase()] = {
      operationId: `${route.method.toLowerCase()}${route.path.replace(/[/:{}-]+(\w)?/g, (_, c: string | undefined) => (c ?? "").toUpperCase())}`,
      summary: doc.summary,
      description: `${doc.description ?? ""}${rolesNote}`.trim() || undefined,
      tags: [TAGS[doc.tag]],
      security: doc.public ? [] : [{ httpMessageSignature: [] }],
      ...(pathParameters.length + queryParameters.length > 0
        ? { parameters: [...pathParameters, ...queryParameters] }
        : {}),
      ...(doc.body
        ? {
            requestBody: {
              required: true,
              content: { "application/json": { schema: toSchema(doc.body, "input", components) } },
            },
          }
        : {}),
      responses,
    };
  }

  return {
    openapi: "3.1.0",
    info: {
      title: "Sluice API",
      version: info.version,
      description:
        "Authorised operation of public data: operators get computed results inside three tiers of authorisation; every use is metered on a permissioned chain.",
    },
    // No jsonSchemaDialect: the OpenAPI 3.1 default (JSON Schema 2020-12 with the OAS vocabulary) is
    // what zod writes, and Swagger UI warns of any other value.
    tags: Object.values(TAGS).map((name) => ({ name })),
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(components).sort(([a], [b]) => a.localeCompare(b))),
      securitySchemes: {
        httpMessageSignature: {
          type: "apiKey",
          in: "header",
          name: "Signature",
          description: SIGNATURE_DESCRIPTION,
        },
      },
    },
  };
}
