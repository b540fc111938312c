import type { Hono } from "hono";
import type { GatewayEnv } from "../../gateway/deps.js";
import { problemCodesOf } from "../../gateway/openapi/document.js";
import { problemResponseSchema } from "../../gateway/openapi/responses.js";
import { routeAt } from "../../gateway/route-table.js";
import { PROBLEM_BASE } from "../../lib/problem.js";

export class UndocumentedResponseError extends Error {}

/**
 * Checks an answer of the app against the doc of the route it came from: a documented status, a
 * body matching the documented schema, and a problem type the route documents. Every in-process
 * request of the test suite goes through it, so the OpenAPI document cannot drift from the code.
 */
export async function assertDocumented(app: Hono<GatewayEnv>, request: Request, response: Response): Promise<void> {
  const path = new URL(request.url).pathname;
  const route = routeAt(app, request.method, path);
  if (!route?.doc) return; // 404 and 405 answers of the fallback
  const where = `${request.method} ${route.path} answered ${response.status}`;
  const type = response.headers.get("content-type") ?? "";
  if (type.startsWith("application/problem+json")) {
    const problem = problemResponseSchema.parse(await response.clone().json());
    const code = problem.type.slice(PROBLEM_BASE.length).replaceAll("-", "_");
    if (code !== "internal" && !(problemCodesOf(route.doc, route.path) as string[]).includes(code)) {
      throw new UndocumentedResponseError(`${where} with problem ${code}, which its doc does not list`);
    }
    return;
  }
  const documented = route.doc.responses[response.status];
  if (!documented) throw new UndocumentedResponseError(`${where}, a status its doc does not list`);
  if (!documented.schema || !type.startsWith("application/json")) return;
  const result = documented.schema.safeParse(await response.clone().json());
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new UndocumentedResponseError(`${where} with a body its doc's schema refuses: ${issues}`);
  }
}
