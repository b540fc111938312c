import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Context } from "hono";
import type { ConsoleEnv } from "./env.js";

const here = path.dirname(fileURLToPath(import.meta.url));

// Only these files are served; the request signer is the API reference page's own.
const ASSETS: Record<string, { file: string; type: string }> = {
  "console.js": { file: path.join(here, "browser", "console.js"), type: "text/javascript; charset=utf-8" },
  "key-store.js": { file: path.join(here, "browser", "key-store.js"), type: "text/javascript; charset=utf-8" },
  "console.css": { file: path.join(here, "browser", "console.css"), type: "text/css; charset=utf-8" },
  "signer.js": {
    file: path.join(here, "..", "openapi", "browser", "signer.js"),
    type: "text/javascript; charset=utf-8",
  },
};

/** Serves the console's scripts and style sheet, each read once. */
export function createAssetServer() {
  const loaded = new Map<string, string>();
  return (c: Context<ConsoleEnv>, name: string) => {
    const asset = ASSETS[name];
    if (!asset) return c.notFound();
    let body = loaded.get(name);
    if (body === undefined) {
      body = readFileSync(asset.file, "utf8");
      loaded.set(name, body);
    }
    c.header("content-type", asset.type);
    c.header("cache-control", "no-cache");
    return c.body(body);
  };
}
