import { Hono } from "hono";
import { computeNodes } from "../../store/index.js";
import type { GatewayDeps, GatewayEnv, GatewayLimits } from "../deps.js";
import { describe } from "../openapi/describe.js";
import { healthResponseSchema } from "../openapi/responses.js";

type Check = { name: string; ok: boolean; detail: string };

async function check(name: string, probe: () => Promise<string>, timeoutMs: number): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return { name, ok: true, detail: await Promise.race([probe(), timeout]) };
  } catch (error) {
    return { name, ok: false, detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** 200 when the database, the chain and every registered compute node answer; 503 naming what is down. */
export function createHealthRoutes(deps: GatewayDeps, limits: GatewayLimits) {
  const fetchNode = deps.fetch ?? fetch;
  return new Hono<GatewayEnv>().get(
    "/health",
    describe({
      summary: "Is the platform up",
      description:
        "200 when the database, the chain and every registered compute node answer; 503 naming what is down.",
      tag: "system",
      public: true,
      responses: {
        200: { description: "Everything answers", schema: healthResponseSchema },
        503: { description: "Something is down; `down` names it", schema: healthResponseSchema },
      },
    }),
    async (c) => {
      const timeoutMs = limits.healthTimeoutMs;
      const nodes = await deps.db
        .select()
        .from(computeNodes)
        .catch(() => []);
      const checks = await Promise.all([
        check(
          "database",
          async () => {
            await deps.pingDatabase();
            return "ok";
          },
          timeoutMs,
        ),
        check(
          "chain",
          async () => `block ${await deps.ledger.blockNumber()}, UsageLedger at ${deps.ledger.address}`,
          timeoutMs,
        ),
        ...nodes.map((node) =>
          check(
            `node:${node.id}`,
            async () => {
              const response = await fetchNode(`${node.url}/health`, { signal: AbortSignal.timeout(timeoutMs) });
              if (!response.ok) throw new Error(`answered ${response.status}`);
              return node.url;
            },
            timeoutMs,
          ),
        ),
      ]);
      const down = checks.filter((x) => !x.ok).map((x) => x.name);
      const body = {
        status: down.length === 0 ? "ok" : "unavailable",
        down,
        database: checks[0],
        chain: checks[1],
        nodes: checks.slice(2),
      };
      return c.json(body, down.length === 0 ? 200 : 503);
    },
  );
}
