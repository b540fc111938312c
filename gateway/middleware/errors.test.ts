import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { ErrorCode } from "../../lib/error-codes.js";
import { SluiceError } from "../../lib/errors.js";
import { createLogger } from "../../lib/logger.js";
import type { GatewayEnv } from "../deps.js";
import { installFallbacks } from "./errors.js";

function appThrowing(error: unknown) {
  const lines: { level: number; msg: string; err?: { message: string } }[] = [];
  const logger = createLogger({
    service: "test",
    level: "info",
    destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
  });
  const app = new Hono<GatewayEnv>();
  app.get("/boom", () => {
    throw error;
  });
  installFallbacks(app, logger);
  return { app, lines };
}

describe("errors answered by the gateway", () => {
  it.each([
    ["internal", 500],
    ["chain_unavailable", 503],
    ["chain_rejected", 502],
    ["statement_inconsistent", 500],
    ["node_timeout", 504],
  ] as [ErrorCode, number][])("answers the platform's fault %s with %i and logs it", async (code, status) => {
    const { app, lines } = appThrowing(new SluiceError(code, `the ${code} happened`));
    const response = await app.request("/boom");
    expect(response.status).toBe(status);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(lines.filter((l) => l.level === 50 && l.err?.message === `the ${code} happened`)).toHaveLength(1);
  });

  it.each([
    ["not_found", 404],
    ["query_invalid", 422],
    ["plan_not_approved", 403],
    ["quota_exhausted", 409],
  ] as [
    ErrorCode,
    number,
  ][])("answers the caller's %s with %i and does not log it as a fault", async (code, status) => {
    const { app, lines } = appThrowing(new SluiceError(code, "your request"));
    const response = await app.request("/boom");
    expect(response.status).toBe(status);
    expect(((await response.json()) as { detail: string }).detail).toBe("your request");
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
  });

  it("answers anything unexpected with 500 without its internals, and logs it", async () => {
    const { app, lines } = appThrowing(new TypeError("secret internals at /srv/x.ts:12"));
    const response = await app.request("/boom");
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain("secret internals");
    expect(lines.some((l) => l.level === 50 && l.err?.message.includes("secret internals"))).toBe(true);
  });
});
