import { Hono } from "hono";
import { jsonBody } from "../../lib/validate.js";
import type { GatewayDeps, GatewayEnv } from "../deps.js";
import { describe } from "../openapi/describe.js";
import { settlementListResponseSchema, settlementResponseSchema } from "../openapi/responses.js";
import { settlementPeriodSchema } from "../schemas.js";
import { createSettlement, getSettlement, listSettlements } from "../services/settlement.js";

/** Revenue-sharing statements: the authority settles a period; regulators and owners read and verify them. */
export function createSettlementRoutes(deps: GatewayDeps) {
  return new Hono<GatewayEnv>()
    .post(
      "/settlements",
      describe({
        summary: "Settle a period: split its fees between the platform and the owners",
        description:
          "Every usage record written in [periodStart, periodEnd), each checked against its stored hash, split in integer fen by its scenario's shares (ledger/README.md), summed per payee; the statement's Merkle root is anchored on chain. Periods never overlap.",
        tag: "ledger",
        roles: ["authority"],
        body: settlementPeriodSchema,
        responses: { 201: { description: "The statement and its anchoring", schema: settlementResponseSchema } },
        problems: ["conflict", "not_executable"],
      }),
      async (c) => {
        const input = await jsonBody(c, settlementPeriodSchema);
        const created = await createSettlement(deps, c.get("participant"), {
          start: new Date(input.periodStart),
          end: new Date(input.periodEnd),
        });
        return c.json(created, 201);
      },
    )
    .get(
      "/settlements",
      describe({
        summary: "The settlement statements",
        tag: "ledger",
        roles: ["authority", "regulator", "owner"],
        responses: {
          200: { description: "Every statement, oldest period first", schema: settlementListResponseSchema },
        },
      }),
      async (c) => c.json({ statements: await listSettlements(deps) }),
    )
    .get(
      "/settlements/:id",
      describe({
        summary: "A settlement statement",
        description:
          "The authority and regulators see every line; an owner sees its own line with the Merkle proof to check it against the root anchored on chain (@openzeppelin/merkle-tree format, leaf (string payeeId, uint256 amountFen)).",
        tag: "ledger",
        roles: ["authority", "regulator", "owner"],
        responses: { 200: { description: "The statement as the caller may see it", schema: settlementResponseSchema } },
      }),
      async (c) => c.json(await getSettlement(deps, c.get("participant"), c.req.param("id"))),
    );
}
