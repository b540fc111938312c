import path from "node:path";
import type { Context } from "hono";
import { projectFile } from "../../lib/runtime-files.js";
import { type AssetFile, createAssetFiles } from "../asset-files.js";
import type { ConsoleEnv } from "./env.js";

const here = projectFile("gateway", "console");
const script = (file: string): AssetFile => ({ file, type: "text/javascript; charset=utf-8" });

// Only these files are served; the request signer is the API reference page's own.
const ASSETS: Record<string, AssetFile> = {
  "console.js": script(path.join(here, "browser", "console.js")),
  "key-store.js": script(path.join(here, "browser", "key-store.js")),
  "signer.js": script(path.join(here, "..", "openapi", "browser", "signer.js")),
  "console.css": { file: path.join(here, "browser", "console.css"), type: "text/css; charset=utf-8" },
  "favicon.svg": { file: path.join(here, "browser", "favicon.svg"), type: "image/svg+xml" },
};

/** Serves the console's scripts and style sheet. */
export function createAssetServer() {
  const assetFile = createAssetFiles(ASSETS);
  return (c: Context<ConsoleEnv>, name: string) => {
    const asset = assetFile(name);
    if (!asset) return c.notFound();
    c.header("cache-control", "no-cache");
    return c.body(asset.body, 200, { "content-type": asset.type });
  };
}
