import { connect } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { closeServer } from "./close-server.js";

describe("closing a server", () => {
  it("does not wait on an idle keep-alive connection or a half-sent request beyond the grace period", async () => {
    const app = new Hono().get("/", (c) => c.text("ok"));
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () => resolve(s));
    });
    const { port } = server.address() as { port: number };
    const open = (request: string) =>
      new Promise<void>((resolve) => {
        const socket = connect(port, "127.0.0.1", () => {
          socket.write(request);
          setTimeout(resolve, 50);
        });
        socket.on("error", () => {});
        socket.on("data", () => {});
      });
    await open("GET / HTTP/1.1\r\nHost: x\r\n\r\n"); // answered, then kept alive
    await open("GET / HTTP/1.1\r\nHost: x\r\n"); // headers never finished
    const started = Date.now();
    await closeServer(server, 300);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(5_000);
  });
});
