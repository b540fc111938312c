import { Validator } from "@seriousme/openapi-schema-validator";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../store/index.js";
import { startTestGateway, type TestGateway } from "../../test/support/gateway.js";
import type { GatewayEnv } from "../deps.js";
import { routeTable } from "../route-table.js";
import { describe as describeRoute } from "./describe.js";
import { assertEveryRouteDocumented, buildOpenApiDocument, UndocumentedRouteError } from "./document.js";

type Operation = {
  security: unknown[];
  responses: Record<string, { content?: Record<string, unknown> }>;
  requestBody?: unknown;
};

describe("the OpenAPI document and the reference page", () => {
  let gw: TestGateway;
  let document: { openapi: string; paths: Record<string, Record<string, Operation>> };

  beforeAll(async () => {
    gw = await startTestGateway(await createDb());
    const response = await gw.app.request("/openapi.json");
    expect(response.status).toBe(200);
    document = (await response.json()) as typeof document;
  });
  afterAll(async () => {
    await gw.stop();
    await gw.database.close();
  });

  it("is a valid OpenAPI 3.1 document", async () => {
    expect(document.openapi).toBe("3.1.0");
    const result = await new Validator().validate(document as unknown as Parameters<Validator["validate"]>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("has every route of the app, and nothing else", () => {
    const fromApp = routeTable(gw.app)
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`)
      .sort();
    const fromDocument = Object.entries(document.paths)
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    expect(fromDocument).toEqual(fromApp);
    expect(fromApp.length).toBeGreaterThan(40);
  });

  it("documents the body, the answers and the problems of a signed route", () => {
    const propose = document.paths["/scenarios"]?.post as Operation;
    expect(propose.security).toEqual([{ httpMessageSignature: [] }]);
    expect(propose.requestBody).toBeDefined();
    expect(propose.responses["201"]?.content?.["application/json"]).toBeDefined();
    for (const status of ["400", "401", "403", "413", "415", "422", "429", "500"]) {
      expect(propose.responses[status]?.content?.["application/problem+json"], status).toBeDefined();
    }
    const health = document.paths["/health"]?.get as Operation;
    expect(health.security).toEqual([]);
    expect(Object.keys(health.responses)).toEqual(expect.arrayContaining(["200", "503"]));
  });

  it("serves the reference page and its assets without a signature, and nothing outside them", async () => {
    const page = await gw.app.request("/docs");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
    const html = await page.text();
    expect(html).toContain("/docs/assets/swagger-ui-bundle.js");
    expect(html).toContain('<label for="key-file">');
    for (const asset of ["swagger-ui.css", "swagger-ui-bundle.js", "docs.js", "signer.js"]) {
      const response = await gw.app.request(`/docs/assets/${asset}`);
      expect(response.status, asset).toBe(200);
    }
    for (const outside of ["package.json", "..%2Fpackage.json", "index.html"]) {
      const response = await gw.app.request(`/docs/assets/${outside}`);
      expect(response.status, outside).toBe(404);
    }
  });

  it("still refuses an unsigned request to any other route", async () => {
    const response = await gw.app.request("/participants");
    expect(response.status).toBe(401);
  });

  it("refuses to start an app with a route that has no doc", () => {
    const app = new Hono<GatewayEnv>()
      .get(
        "/documented",
        describeRoute({ summary: "x", tag: "system", responses: { 200: { description: "x" } } }),
        (c) => c.text("x"),
      )
      .get("/forgotten", (c) => c.text("x"));
    expect(() => assertEveryRouteDocumented(app)).toThrow(UndocumentedRouteError);
    expect(() => buildOpenApiDocument(app, { version: "0" })).toThrow(/GET \/forgotten/);
  });
});
