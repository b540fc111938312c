import type { ServerType } from "@hono/node-server";

/**
 * Stops accepting connections, closes idle keep-alive connections at once and, after `graceMs`,
 * every connection still open (a half-sent request, a slow reader), so that a shutdown never waits
 * on a client. Resolves when the server has closed.
 */
export function closeServer(server: ServerType, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const cut = setTimeout(() => {
      if ("closeAllConnections" in server) server.closeAllConnections();
    }, graceMs);
    cut.unref();
    server.close(() => {
      clearTimeout(cut);
      resolve();
    });
    if ("closeIdleConnections" in server) server.closeIdleConnections();
  });
}
