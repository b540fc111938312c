import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { ForbiddenError, NotFoundError } from "../../lib/errors.js";
import { jsonBody } from "../../lib/validate.js";
import { jobReviews, jobs, usageRecords } from "../../store/index.js";
import type { GatewayDeps, GatewayEnv, GatewayLimits } from "../deps.js";
import { reviewJob } from "../jobs/review.js";
import { explainJob, runJob } from "../jobs/run-job.js";
import { requireRole } from "../middleware/authenticate.js";
import { createConcurrencyLimiter } from "../middleware/limits.js";
import { jobReviewSchema, runJobSchema } from "../schemas.js";

/** Operators run (or dry-run) queries inside a scenario; owners review results that need it. */
export function createJobRoutes(deps: GatewayDeps, limits: GatewayLimits) {
  const concurrency = createConcurrencyLimiter(limits.maxConcurrentJobs);
  return new Hono<GatewayEnv>()
    .post("/jobs/explain", async (c) => {
      const operator = requireRole(c, "operator");
      return c.json(await explainJob(deps, operator.id, await jsonBody(c, runJobSchema)));
    })
    .post("/jobs", async (c) => {
      const operator = requireRole(c, "operator");
      const input = await jsonBody(c, runJobSchema);
      const requestId = c.get("requestId");
      const started = performance.now();
      const outcome = await concurrency
        .run(operator.id, () => runJob(deps, limits, operator.id, input, requestId))
        .catch((error: unknown) => {
          deps.logger?.warn(
            {
              requestId,
              operatorId: operator.id,
              scenarioId: input.scenarioId,
              code: (error as { code?: string }).code,
            },
            "job refused or failed",
          );
          throw error;
        });
      deps.logger?.info(
        {
          requestId,
          jobId: outcome.jobId,
          operatorId: operator.id,
          scenarioId: input.scenarioId,
          status: outcome.status,
          ms: Math.round(performance.now() - started),
        },
        "job finished",
      );
      return c.json(outcome, outcome.status === "succeeded" ? 201 : 202);
    })
    .get("/jobs/:id", async (c) => {
      const caller = requireRole(c, "operator", "regulator", "owner");
      const [job] = await deps.db
        .select()
        .from(jobs)
        .where(eq(jobs.id, c.req.param("id")));
      if (!job) throw new NotFoundError("job", c.req.param("id"));
      const reviews = await deps.db.select().from(jobReviews).where(eq(jobReviews.jobId, job.id));
      const isReviewer = reviews.some((r) => r.ownerId === caller.id);
      if (caller.role === "operator" && job.operatorId !== caller.id)
        throw new ForbiddenError(`job ${job.id} belongs to another operator`);
      if (caller.role === "owner" && !isReviewer)
        throw new ForbiddenError(`job ${job.id} is not one ${caller.id} reviews`);
      const [record] = await deps.db
        .select({ id: usageRecords.id })
        .from(usageRecords)
        .where(eq(usageRecords.jobId, job.id));
      // An operator sees a result only once it is released; reviewers and regulators see what is held.
      const showResult = job.status === "succeeded" || caller.role !== "operator";
      return c.json({ ...job, result: showResult ? job.result : null, reviews, usageRecordId: record?.id ?? null });
    })
    .post("/jobs/:id/reviews", async (c) => {
      const owner = requireRole(c, "owner");
      const input = await jsonBody(c, jobReviewSchema);
      return c.json(
        await reviewJob(deps.db, deps.gatewayKeys, owner.id, c.req.param("id"), input.decision, input.reason),
      );
    });
}
