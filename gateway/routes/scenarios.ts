import { and, eq, inArray } from "drizzle-orm";
import { Hono } from "hono";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { jsonBody } from "../../lib/validate.js";
import { type Db, datasets, scenarioApprovals, scenarios } from "../../store/index.js";
import type { GatewayDeps, GatewayEnv } from "../deps.js";
import { requireRole } from "../middleware/authenticate.js";
import { proposeScenarioSchema, scenarioDecisionSchema } from "../schemas.js";

async function scenarioView(db: Db, id: string) {
  const [scenario] = await db.select().from(scenarios).where(eq(scenarios.id, id));
  if (!scenario) throw new NotFoundError("scenario", id);
  const approvals = await db.select().from(scenarioApprovals).where(eq(scenarioApprovals.scenarioId, id));
  return { ...scenario, approvals };
}

/** Operators propose scenarios; every owner of every dataset involved approves or rejects with a reason. */
export function createScenarioRoutes(deps: GatewayDeps) {
  return new Hono<GatewayEnv>()
    .post("/scenarios", async (c) => {
      const operator = requireRole(c, "operator");
      const input = await jsonBody(c, proposeScenarioSchema);
      const datasetIds = [...new Set(input.fields.map((f) => f.slice(0, f.indexOf("."))))].sort();
      const found = await deps.db.select().from(datasets).where(inArray(datasets.id, datasetIds));
      const issues = input.fields.flatMap((qualified, index) => {
        const [datasetId, field] = qualified.split(".") as [string, string];
        const dataset = found.find((d) => d.id === datasetId);
        if (!dataset) return [{ path: `fields.${index}`, message: `dataset ${datasetId} is not registered` }];
        if (!dataset.fields.some((f) => f.name === field))
          return [{ path: `fields.${index}`, message: `dataset ${datasetId} has no field ${field}` }];
        return [];
      });
      if (issues.length > 0)
        throw new ValidationError(
          `the scenario names unknown data: ${issues.map((i) => i.message).join("; ")}`,
          issues,
        );
      const id = newId("sc", 8);
      const ownerIds = [...new Set(found.map((d) => d.ownerId))].sort();
      await deps.db.transaction(async (tx) => {
        await tx.insert(scenarios).values({
          id,
          operatorId: operator.id,
          purpose: input.purpose,
          datasetIds,
          fields: [...new Set(input.fields)],
          computeModes: input.computeModes,
          aggregates: input.aggregates,
          minGroupSize: input.minGroupSize,
          epsilonPerQuery: input.epsilonPerQuery,
          epsilonBudget: input.epsilonBudget,
          queryQuota: input.queryQuota,
          pricePerQueryFen: input.pricePerQueryFen,
          platformShareBasisPoints: input.platformShareBasisPoints,
          validFrom: new Date(input.validFrom),
          validUntil: new Date(input.validUntil),
        });
        await tx.insert(scenarioApprovals).values(ownerIds.map((ownerId) => ({ scenarioId: id, ownerId })));
      });
      return c.json(await scenarioView(deps.db, id), 201);
    })
    .get("/scenarios", async (c) => {
      const caller = c.get("participant");
      const rows =
        caller.role === "operator"
          ? await deps.db.select().from(scenarios).where(eq(scenarios.operatorId, caller.id))
          : caller.role === "owner"
            ? (
                await deps.db
                  .select({ scenario: scenarios })
                  .from(scenarios)
                  .innerJoin(scenarioApprovals, eq(scenarioApprovals.scenarioId, scenarios.id))
                  .where(eq(scenarioApprovals.ownerId, caller.id))
              ).map((r) => r.scenario)
            : await deps.db.select().from(scenarios);
      return c.json({ scenarios: rows });
    })
    .get("/scenarios/:id", async (c) => c.json(await scenarioView(deps.db, c.req.param("id"))))
    .post("/scenarios/:id/decisions", async (c) => {
      const owner = requireRole(c, "owner");
      const input = await jsonBody(c, scenarioDecisionSchema);
      const scenarioId = c.req.param("id");
      const scenario = await scenarioView(deps.db, scenarioId);
      const mine = scenario.approvals.find((a) => a.ownerId === owner.id);
      if (!mine) throw new ForbiddenError(`scenario ${scenarioId} uses no dataset of ${owner.id}`);
      if (scenario.status !== "proposed")
        throw new ConflictError(
          `scenario ${scenarioId} is ${scenario.status}; decisions are taken while it is proposed`,
        );
      await deps.db.transaction(async (tx) => {
        await tx
          .update(scenarioApprovals)
          .set({
            decision: input.decision === "approve" ? "approved" : "rejected",
            reason: input.reason ?? null,
            decidedAt: new Date(),
          })
          .where(and(eq(scenarioApprovals.scenarioId, scenarioId), eq(scenarioApprovals.ownerId, owner.id)));
        const approvals = await tx.select().from(scenarioApprovals).where(eq(scenarioApprovals.scenarioId, scenarioId));
        const status = approvals.some((a) => a.decision === "rejected")
          ? "rejected"
          : approvals.every((a) => a.decision === "approved")
            ? "active"
            : "proposed";
        await tx.update(scenarios).set({ status }).where(eq(scenarios.id, scenarioId));
      });
      return c.json(await scenarioView(deps.db, scenarioId));
    });
}
