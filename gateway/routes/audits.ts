import { Hono } from "hono";
import { jsonBody } from "../../lib/validate.js";
import type { GatewayDeps, GatewayEnv } from "../deps.js";
import { describe } from "../openapi/describe.js";
import { auditReportResponseSchema } from "../openapi/responses.js";
import { settlementPeriodSchema } from "../schemas.js";
import { auditWith } from "../services/audit.js";

/** The regulator's audit of a period. */
export function createAuditRoutes(deps: GatewayDeps) {
  return new Hono<GatewayEnv>().post(
    "/audits",
    describe({
      summary: "Audit a period",
      description:
        "Every usage record written in the period (and every record of the batches anchored for it) against its hash, the gateway's signature and the root on chain; records deleted or inserted after anchoring found by their leaf positions and named; each record's decision replayed from its stored inputs; each settlement statement recomputed and checked against the chain. `sluice audit` writes it as JSON and as an HTML page.",
      tag: "ledger",
      roles: ["regulator", "authority"],
      body: settlementPeriodSchema,
      responses: { 200: { description: "The audit report", schema: auditReportResponseSchema } },
    }),
    async (c) => {
      const input = await jsonBody(c, settlementPeriodSchema);
      return c.json(await auditWith(deps, { start: new Date(input.periodStart), end: new Date(input.periodEnd) }));
    },
  );
}
