import { createServer, request as forward, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * An HTTP proxy in front of a node: it forwards everything, except that when armed, the next POST
 * to the armed path (by default a plan, POST /jobs) first runs `onRequest` (which may kill the node,
 * or hold the request until the test lets it go) and is then forwarded.
 */
export async function startKillSwitchProxy(target: () => string) {
  let armed: { path: string; onRequest: () => Promise<void> } | undefined;
  const server: Server = createServer((incoming, outgoing) => {
    void (async () => {
      if (armed && incoming.method === "POST" && incoming.url === armed.path) {
        const { onRequest } = armed;
        armed = undefined;
        await onRequest();
      }
      const to = new URL(incoming.url ?? "/", target());
      const upstream = forward(to, { method: incoming.method, headers: incoming.headers }, (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      });
      upstream.on("error", () => outgoing.destroy());
      incoming.pipe(upstream);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arm(onRequest: () => Promise<void>, path = "/jobs") {
      armed = { path, onRequest };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
