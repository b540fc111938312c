import { type ServerType, serve } from "@hono/node-server";
import type { Hono } from "hono";
import { answerClientErrors } from "../lib/client-errors.js";
import type { GatewayEnv } from "./deps.js";

/** Serves the gateway's app over HTTP, with what the HTTP parser refuses answered as problem+json. */
export function listenGateway(app: Hono<GatewayEnv>, hostname: string, port: number): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname, port }, () => resolve(server));
    server.once("error", (error) =>
      reject(new Error(`cannot listen on ${hostname}:${port}: ${error.message}`, { cause: error })),
    );
    answerClientErrors(server);
  });
}
