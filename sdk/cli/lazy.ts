import type { Handler } from "./handler.js";

// The commands that bring workers, SEAL or a whole node load their modules only when called, so
// that the others start without them (compiled, those modules are chunks beside dist/cli/sluice.mjs).

/** A command whose module is loaded when it is called. */
export const lazyHandler =
  (load: () => Promise<Handler>): Handler =>
  async (client, h) =>
    (await load())(client, h);
