import { serve } from "@hono/node-server";
import { Hono } from "hono";

// An unsigned, bare Hono route on loopback: the ceiling any gateway route can reach on this machine.
const app = new Hono().get("/bare", (c) => c.json({ ok: true }));
serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) => {
  console.log(JSON.stringify({ event: "listening", url: `http://127.0.0.1:${info.port}` }));
});
