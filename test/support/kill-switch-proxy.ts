import { createServer, request as forward, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * An HTTP proxy in front of a node: it forwards everything, except that when armed, the next plan
 * (POST /jobs) first runs `onPlan` (which kills the node) and is then forwarded to the dead node.
 */
export async function startKillSwitchProxy(target: () => string) {
  let armed: (() => Promise<void>) | undefined;
  const server: Server = createServer((incoming, outgoing) => {
    void (async () => {
      if (armed && incoming.method === "POST" && incoming.url === "/jobs") {
        const onPlan = armed;
        armed = undefined;
        await onPlan();
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
    arm(onPlan: () => Promise<void>) {
      armed = onPlan;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
