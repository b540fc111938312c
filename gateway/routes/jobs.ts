import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { ForbiddenError, NotFoundError } from "../../lib/errors.js";
import { jsonBody } from "../../lib/validate.js";
import { jobs, usageRecords } from "../../store/index.js";
import type { GatewayDeps, GatewayEnv, GatewayLimits } from "../deps.js";
import { runSumJob } from "../jobs/run-sum-job.js";
import { requireRole } from "../middleware/authenticate.js";
import { runJobSchema } from "../schemas.js";

/** Operators run queries inside an active scenario and read their jobs back. */
export function createJobRoutes(deps: GatewayDeps, limits: GatewayLimits) {
  return new Hono<GatewayEnv>()
    .post("/jobs", async (c) => {
      const operator = requireRole(c, "operator");
      const input = await jsonBody(c, runJobSchema);
      return c.json(await runSumJob(deps, limits, operator.id, input), 201);
    })
    .get("/jobs/:id", async (c) => {
      const caller = requireRole(c, "operator", "regulator");
      const [job] = await deps.db
        .select()
        .from(jobs)
        .where(eq(jobs.id, c.req.param("id")));
      if (!job) throw new NotFoundError("job", c.req.param("id"));
      if (caller.role === "operator" && job.operatorId !== caller.id)
        throw new ForbiddenError(`job ${job.id} belongs to another operator`);
      const [record] = await deps.db
        .select({ id: usageRecords.id })
        .from(usageRecords)
        .where(eq(usageRecords.jobId, job.id));
      return c.json({ ...job, usageRecordId: record?.id ?? null });
    });
}
