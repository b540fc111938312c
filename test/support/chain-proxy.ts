import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type ChainProxyMode = "up" | "down" | "slow";

/**
 * A JSON-RPC proxy in front of a chain that can be switched down (connections reset) or slow
 * (each answer held back), for the anchoring fault tests.
 */
export async function startChainProxy(target: string, slowMs = 250) {
  let mode: ChainProxyMode = "up";
  let calls = 0;
  const server: Server = createServer((incoming, outgoing) => {
    calls += 1;
    if (mode === "down") {
      incoming.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      void (async () => {
        try {
          if (mode === "slow") await new Promise((resolve) => setTimeout(resolve, slowMs));
          const answer = await fetch(target, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: Buffer.concat(chunks),
          });
          outgoing.writeHead(answer.status, { "content-type": "application/json" });
          outgoing.end(Buffer.from(await answer.arrayBuffer()));
        } catch {
          outgoing.destroy();
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setMode(next: ChainProxyMode) {
      mode = next;
    },
    get calls() {
      return calls;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
