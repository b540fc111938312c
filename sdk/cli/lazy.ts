import type { Handler } from "./handler.js";

// The compiled CLI (dist/cli/sluice.mjs) holds the commands that only talk to the gateway; the
// ones that bring workers or files found beside their sources (PSI, scoring, homomorphic keys, the
// ledger's proofs, the node) stay TypeScript and are loaded when called, through tsx.
let tsxRegistered = import.meta.url.endsWith(".ts");

/** Imports one of the CLI's TypeScript modules, registering tsx first when running compiled. */
export async function loadSource<T>(load: () => Promise<T>): Promise<T> {
  if (!tsxRegistered) {
    const { register } = await import("tsx/esm/api");
    register();
    tsxRegistered = true;
  }
  return load();
}

/** A command whose module is loaded when it is called. */
export const lazyHandler =
  (load: () => Promise<Handler>): Handler =>
  async (client, h) =>
    (await loadSource(load))(client, h);
