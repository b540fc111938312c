import { Hono } from "hono";
import { parseWith } from "../../lib/validate.js";
import type { GatewayDeps, GatewayEnv } from "../deps.js";
import { describe } from "../openapi/describe.js";
import { assetAccountsResponseSchema } from "../openapi/responses.js";
import { assetAccounts, assetAccountsQuerySchema } from "../services/asset-accounts.js";

/** Data-asset accounts: what each owner's datasets were used for and earned, and a value estimate. */
export function createAssetRoutes(deps: GatewayDeps) {
  return new Hono<GatewayEnv>().get(
    "/assets/accounts",
    describe({
      summary: "Data-asset accounts of a period",
      description:
        "For each owner's dataset, over [periodStart, periodEnd): its uses, contribution units, revenue (each usage record's fee split as the period's settlement splits it) and the scenarios it served, with a value estimate by the income approach whose method and parameters are stated. Each owner's total is set beside its line in any settlement statement of exactly this period. An owner sees its own datasets; `sluice assets` writes the accounts as CSV and as an HTML report.",
      tag: "ledger",
      roles: ["authority", "regulator", "owner"],
      query: assetAccountsQuerySchema,
      responses: { 200: { description: "The accounts", schema: assetAccountsResponseSchema } },
      problems: ["conflict"],
    }),
    async (c) => {
      const query = parseWith(assetAccountsQuerySchema, c.req.query(), "the query");
      return c.json(await assetAccounts(deps, c.get("participant"), query));
    },
  );
}
