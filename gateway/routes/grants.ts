import { and, eq } from "drizzle-orm";
import { Hono } from "hono";
import { ForbiddenError, NotFoundError, SluiceError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { jsonBody } from "../../lib/validate.js";
import { grants, participants } from "../../store/index.js";
import type { GatewayDeps, GatewayEnv } from "../deps.js";
import { requireRole } from "../middleware/authenticate.js";
import { grantSchema } from "../schemas.js";

type GrantInput = ReturnType<typeof grantSchema.parse>;

/** What a sector grant asks beyond every comprehensive grant of the operator, in words; empty when covered. */
function excessOverComprehensive(input: GrantInput, comprehensive: (typeof grants.$inferSelect)[]): string[] {
  const active = comprehensive.filter((g) => g.status === "active");
  if (active.length === 0) return ["the operator holds no active comprehensive authorisation"];
  const best = active.map((g) => {
    const excess: string[] = [];
    const regions = input.regions.filter((r) => !g.regions.includes(r));
    const sectors = input.sectors.filter((s) => !g.sectors.includes(s));
    const modes = input.computeModes.filter((m) => !g.computeModes.includes(m));
    if (regions.length) excess.push(`regions ${regions.join(", ")}`);
    if (sectors.length) excess.push(`sectors ${sectors.join(", ")}`);
    if (modes.length) excess.push(`compute modes ${modes.join(", ")}`);
    if (input.maxLevel > g.maxLevel) excess.push(`level ${input.maxLevel} above ${g.maxLevel}`);
    if (Date.parse(input.validFrom) < g.validFrom.getTime() || Date.parse(input.validUntil) > g.validUntil.getTime()) {
      excess.push(`validity beyond ${g.validFrom.toISOString()}–${g.validUntil.toISOString()}`);
    }
    return excess;
  });
  return best.reduce((a, b) => (b.length < a.length ? b : a));
}

/** Comprehensive grants come from the authority; sector grants from a sector department, inside them. */
export function createGrantRoutes(deps: GatewayDeps) {
  return new Hono<GatewayEnv>()
    .post("/grants", async (c) => {
      const grantor = requireRole(c, "authority", "sector");
      const input = await jsonBody(c, grantSchema);
      const [operator] = await deps.db.select().from(participants).where(eq(participants.id, input.operatorId));
      if (!operator || operator.role !== "operator") throw new NotFoundError("operator", input.operatorId);
      const tier = grantor.role === "authority" ? "comprehensive" : "sector";
      if (tier === "sector") {
        if (input.sectors.some((s) => s !== grantor.sector)) {
          throw new ForbiddenError(`${grantor.id} may grant only for its own sector ${grantor.sector}`);
        }
        const comprehensive = await deps.db
          .select()
          .from(grants)
          .where(and(eq(grants.operatorId, operator.id), eq(grants.tier, "comprehensive")));
        const excess = excessOverComprehensive(input, comprehensive);
        if (excess.length > 0) {
          throw new SluiceError(
            "exceeds_upper_tier",
            `the sector authorisation is wider than the comprehensive one: ${excess.join("; ")}`,
            {
              details: { tier: "comprehensive", excess },
            },
          );
        }
      }
      const [row] = await deps.db
        .insert(grants)
        .values({
          id: newId("grant", 8),
          tier,
          grantorId: grantor.id,
          operatorId: operator.id,
          regions: input.regions,
          sectors: input.sectors,
          datasetIds: input.datasetIds,
          computeModes: input.computeModes,
          maxLevel: input.maxLevel,
          validFrom: new Date(input.validFrom),
          validUntil: new Date(input.validUntil),
        })
        .returning();
      return c.json(row, 201);
    })
    .get("/grants", async (c) => {
      const operatorId = c.req.query("operatorId");
      const rows = operatorId
        ? await deps.db.select().from(grants).where(eq(grants.operatorId, operatorId))
        : await deps.db.select().from(grants);
      return c.json({ grants: rows });
    });
}
