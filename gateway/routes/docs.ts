import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { Hono } from "hono";
import { z } from "zod";
import { NotFoundError } from "../../lib/errors.js";
import { projectFile } from "../../lib/runtime-files.js";
import { type AssetFile, createAssetFiles } from "../asset-files.js";
import type { GatewayEnv } from "../deps.js";
import { describe } from "../openapi/describe.js";
import { buildOpenApiDocument } from "../openapi/document.js";

const require = createRequire(projectFile("package.json"));
const swaggerUi = path.dirname(require.resolve("swagger-ui-dist/package.json"));
const browserScripts = projectFile("gateway", "openapi", "browser");
const { version } = JSON.parse(readFileSync(projectFile("package.json"), "utf8")) as {
  version: string;
};

// Only these files are served: Swagger UI's from its npm package, ours from gateway/openapi/browser.
const ASSETS: Record<string, AssetFile> = {
  "swagger-ui.css": { file: path.join(swaggerUi, "swagger-ui.css"), type: "text/css; charset=utf-8" },
  "swagger-ui-bundle.js": {
    file: path.join(swaggerUi, "swagger-ui-bundle.js"),
    type: "text/javascript; charset=utf-8",
  },
  "docs.js": { file: path.join(browserScripts, "docs.js"), type: "text/javascript; charset=utf-8" },
  "signer.js": { file: path.join(browserScripts, "signer.js"), type: "text/javascript; charset=utf-8" },
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sluice API reference</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<style>
  body { margin: 0; font-family: system-ui, sans-serif; }
  .keybar { padding: 0.75rem 1.25rem; background: #1b2a3a; color: #fff; display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; }
  .keybar label { font-weight: 600; }
  /* Requests are signed from the key bar: Swagger UI's own Authorize dialog and locks would be a second, unused way. */
  .swagger-ui .scheme-container, .swagger-ui .auth-wrapper, .swagger-ui .authorization__btn { display: none; }
</style>
</head>
<body>
<div class="keybar">
  <label for="key-file">Sign "Try it out" requests with your key file</label>
  <input id="key-file" type="file" accept="application/json,.json">
  <span id="key-status" role="status" aria-live="polite">No key loaded: only public routes will answer. The key never leaves this page.</span>
</div>
<main id="reference"></main>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script type="module" src="/docs/assets/docs.js"></script>
</body>
</html>`;

/** The OpenAPI 3.1 document and an interactive reference page that signs requests in the browser. */
export function createDocsRoutes(app: () => Hono<GatewayEnv>) {
  let document: ReturnType<typeof buildOpenApiDocument> | undefined;
  const assetFile = createAssetFiles(ASSETS);
  return new Hono<GatewayEnv>()
    .get(
      "/openapi.json",
      describe({
        summary: "This OpenAPI 3.1 document",
        description: "Generated from the routes' own docs and zod schemas.",
        tag: "system",
        public: true,
        responses: { 200: { description: "The OpenAPI 3.1 document", schema: z.record(z.string(), z.unknown()) } },
      }),
      (c) => {
        document ??= buildOpenApiDocument(app(), { version });
        return c.json(document);
      },
    )
    .get(
      "/docs",
      describe({
        summary: "Interactive API reference",
        description: "Swagger UI over /openapi.json; loading a key file signs Try-it-out requests with WebCrypto.",
        tag: "system",
        public: true,
        responses: { 200: { description: "An HTML page", contentType: "text/html" } },
      }),
      (c) => {
        c.header(
          "content-security-policy",
          "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'",
        );
        return c.html(PAGE);
      },
    )
    .get(
      "/docs/assets/:file",
      describe({
        summary: "A script or style sheet of the reference page",
        tag: "system",
        public: true,
        responses: { 200: { description: "The file", contentType: "text/javascript" } },
      }),
      (c) => {
        const name = c.req.param("file");
        const asset = assetFile(name);
        if (!asset) throw new NotFoundError("documentation asset", name);
        c.header("cache-control", "public, max-age=3600");
        return c.body(asset.body, 200, { "content-type": asset.type });
      },
    );
}
