import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { ForbiddenError, NotFoundError } from "../../lib/errors.js";
import { jsonBody, parseWith } from "../../lib/validate.js";
import { jobReviews, jobs, usageRecords } from "../../store/index.js";
import type { GatewayDeps, GatewayEnv, GatewayLimits } from "../deps.js";
import { createJobSlots } from "../jobs/job-slots.js";
import { reviewJob } from "../jobs/review.js";
import { explainJob, runJob } from "../jobs/run-job.js";
import { runJoin } from "../jobs/run-join.js";
import { runScoring } from "../jobs/run-scoring.js";
import { runVerticalScoring } from "../jobs/run-vertical-scoring.js";
import { joinFromSql } from "../jobs/sql.js";
import { describe } from "../openapi/describe.js";
import {
  explainResponseSchema,
  jobListResponseSchema,
  jobOutcomeResponseSchema,
  jobResponseSchema,
  jobReviewOutcomeResponseSchema,
} from "../openapi/responses.js";
import {
  jobReviewSchema,
  runJobSchema,
  runJoinSchema,
  runScoringSchema,
  runSqlSchema,
  runVerticalScoringSchema,
} from "../schemas.js";
import { jobListQuerySchema, jobScopeOf, listJobs } from "../services/job-list.js";

// Two forms of 32 encrypted coefficients (~300 KB each as base64) and 200,000 ids, with room to spare.
const MAX_SCORING_BODY_BYTES = 48 * 1024 * 1024;

/** What a scoring job (one owner's or vertical) answers. */
const SCORING_RESPONSES = {
  201: { description: "Succeeded: the encrypted scores and the usage record", schema: jobOutcomeResponseSchema },
};

/** How any job that reaches the owners' nodes can be refused or fail. */
const NODE_JOB_PROBLEMS = [
  "denied",
  "quota_exhausted",
  "not_executable",
  "plan_not_approved",
  "too_many_jobs",
  "node_unavailable",
  "node_rejected",
  "node_timeout",
] as const;
const AGGREGATE_PROBLEMS = [...NODE_JOB_PROBLEMS, "query_invalid", "he_key_invalid"] as const;
/** How a joined aggregate can be refused, however it is written. */
const JOIN_PROBLEMS = [...NODE_JOB_PROBLEMS, "query_invalid"] as const;
const SCORING_PROBLEMS = [
  ...NODE_JOB_PROBLEMS,
  "score_quota_exhausted",
  "ciphertext_invalid",
  "he_key_invalid",
] as const;

/** Operators run (or dry-run) queries inside a scenario; owners review results that need it. */
export function createJobRoutes(deps: GatewayDeps, limits: GatewayLimits) {
  const concurrency = createJobSlots(deps.db, { max: limits.maxConcurrentJobs, logger: deps.logger });

  /** Runs a job within the operator's concurrency limit, logging how it ended and how long it took. */
  async function runLogged<T extends { jobId: string; status: string }>(
    requestId: string | undefined,
    operatorId: string,
    scenarioId: string,
    run: (requestId: string | undefined) => Promise<T>,
  ): Promise<T> {
    const started = performance.now();
    const context = { requestId, operatorId, scenarioId };
    const outcome = await concurrency
      .run(operatorId, () => run(requestId))
      .catch((error: unknown) => {
        deps.logger?.warn({ ...context, code: (error as { code?: string }).code }, "job refused or failed");
        throw error;
      });
    deps.logger?.info(
      { ...context, jobId: outcome.jobId, status: outcome.status, ms: Math.round(performance.now() - started) },
      "job finished",
    );
    return outcome;
  }
  return new Hono<GatewayEnv>()
    .post(
      "/jobs/explain",
      describe({
        summary: "Dry-run a query: would it be allowed, and why",
        tag: "jobs",
        roles: ["operator"],
        body: runJobSchema,
        responses: {
          200: {
            description: "The decision, with its obligations or the tier and rule that denies it",
            schema: explainResponseSchema,
          },
        },
        problems: ["query_invalid"],
      }),
      async (c) => {
        const operator = c.get("participant");
        return c.json(await explainJob(deps, operator.id, await jsonBody(c, runJobSchema)));
      },
    )
    .post(
      "/jobs",
      describe({
        summary: "Run a query inside a scenario",
        description:
          "Decides, reserves quota and ε atomically, computes across the owners' nodes and records the use in the same transaction as the result. A failure releases the reservation and leaves no record.",
        tag: "jobs",
        roles: ["operator"],
        body: runJobSchema,
        responses: {
          201: { description: "Succeeded: the result and its usage record", schema: jobOutcomeResponseSchema },
          202: { description: "Held for the owners' review", schema: jobOutcomeResponseSchema },
        },
        problems: AGGREGATE_PROBLEMS,
      }),
      async (c) => {
        const operator = c.get("participant");
        const input = await jsonBody(c, runJobSchema);
        const outcome = await runLogged(c.get("requestId"), operator.id, input.scenarioId, (requestId) =>
          runJob(deps, limits, operator.id, input, requestId),
        );
        return c.json(outcome, outcome.status === "succeeded" ? 201 : 202);
      },
    )
    .post(
      "/jobs/scores",
      describe({
        summary: "Score entities with an encrypted model at an owner's node",
        description:
          "The operator sends its model encrypted under its own CKKS key and the ids it is entitled to score; the owner's node evaluates it on its records (features clamped to the owner's bounds, with noise when ε > 0, each entity scored at most as often as the owner allows) and returns the scores encrypted and re-randomised. Only the operator's secret key opens them.",
        tag: "jobs",
        roles: ["operator"],
        body: runScoringSchema,
        maxBodyBytes: MAX_SCORING_BODY_BYTES,
        responses: SCORING_RESPONSES,
        problems: SCORING_PROBLEMS,
      }),
      async (c) => {
        const operator = c.get("participant");
        const input = await jsonBody(c, runScoringSchema);
        const outcome = await runLogged(c.get("requestId"), operator.id, input.scenarioId, (requestId) =>
          runScoring(deps, limits, operator.id, input, requestId),
        );
        return c.json(outcome, 201);
      },
    )
    .post(
      "/jobs/vertical-scores",
      describe({
        summary: "Score entities with one encrypted model over several owners' features",
        description:
          "A vertical score: the model's features come from two or three owners' datasets (its weights in the order of the parts' features). Each owner's node first says which of your ids it holds; for the ids every owner holds, each node weighs its own features under your CKKS key (clamped to its owner's bounds, with noise when ε > 0, each entity scored at most as often as that owner allows), and the gateway adds the encrypted parts without opening them. Only your secret key opens the sums. Linear models only; apply a link function after decrypting.",
        tag: "jobs",
        roles: ["operator"],
        body: runVerticalScoringSchema,
        maxBodyBytes: MAX_SCORING_BODY_BYTES,
        responses: SCORING_RESPONSES,
        problems: SCORING_PROBLEMS,
      }),
      async (c) => {
        const operator = c.get("participant");
        const input = await jsonBody(c, runVerticalScoringSchema);
        const outcome = await runLogged(c.get("requestId"), operator.id, input.scenarioId, (requestId) =>
          runVerticalScoring(deps, limits, operator.id, input, requestId),
        );
        return c.json(outcome, 201);
      },
    )
    .post(
      "/jobs/joins",
      describe({
        summary: "Run a joined aggregate across departments on the entity key",
        description:
          "Joins two or three owners' datasets on their key columns (an inner join: each key every owner holds, each pair of their rows), filters and groups on any joined dataset's fields and aggregates one measure, without any owner handing over a row or a key: the owners' nodes send keyed pseudonyms and masked cells to the platform's helper, which matches them, and two of the owners' nodes aggregate the joined rows under secret sharing (compute/README.md, Joined aggregates). The same tiers, approvals, k, noise, ε and metering as every aggregate; each owner's node checks its part against the terms its owner signed.",
        tag: "jobs",
        roles: ["operator"],
        body: runJoinSchema,
        responses: {
          201: { description: "Succeeded: the released cells and the usage record", schema: jobOutcomeResponseSchema },
          202: { description: "Held for the owners' review", schema: jobOutcomeResponseSchema },
        },
        problems: JOIN_PROBLEMS,
      }),
      async (c) => {
        const operator = c.get("participant");
        const input = await jsonBody(c, runJoinSchema);
        const outcome = await runLogged(c.get("requestId"), operator.id, input.scenarioId, (requestId) =>
          runJoin(deps, limits, operator.id, input, requestId),
        );
        return c.json(outcome, outcome.status === "succeeded" ? 201 : 202);
      },
    )
    .post(
      "/jobs/sql",
      describe({
        summary: "Run a joined aggregate written as SQL",
        description:
          "SELECT one of COUNT(*), SUM, AVG or VARIANCE of a qualified column (and the grouped column) FROM two or three datasets INNER JOINed on their keys, WHERE a conjunction of comparisons, IN and BETWEEN on qualified columns, GROUP BY one text column whose reported values a WHERE … IN (…) declares. The SQL is turned into the structured joined query of POST /jobs/joins (returned as `structured`), which is what is decided, signed and recorded; anything outside the subset is refused naming it.",
        tag: "jobs",
        roles: ["operator"],
        body: runSqlSchema,
        responses: {
          201: { description: "Succeeded: the released cells and the usage record", schema: jobOutcomeResponseSchema },
          202: { description: "Held for the owners' review", schema: jobOutcomeResponseSchema },
        },
        problems: JOIN_PROBLEMS,
      }),
      async (c) => {
        const operator = c.get("participant");
        const { sql, ...rest } = await jsonBody(c, runSqlSchema);
        const structured = parseWith(runJoinSchema, { ...rest, ...joinFromSql(sql) }, "the query the SQL stands for");
        const outcome = await runLogged(c.get("requestId"), operator.id, structured.scenarioId, (requestId) =>
          runJoin(deps, limits, operator.id, structured, requestId),
        );
        return c.json({ ...outcome, structured }, outcome.status === "succeeded" ? 201 : 202);
      },
    )
    .get(
      "/jobs",
      describe({
        summary: "Jobs, newest first",
        description:
          "Without their results (`GET /jobs/:id` has them): an operator's own jobs, or for a regulator every operator's.",
        tag: "jobs",
        roles: ["operator", "regulator"],
        query: jobListQuerySchema,
        responses: { 200: { description: "Up to `limit` jobs, newest first", schema: jobListResponseSchema } },
      }),
      async (c) => {
        const query = parseWith(jobListQuerySchema, c.req.query(), "the query");
        return c.json(await listJobs(deps.db, jobScopeOf(c.get("participant")), query));
      },
    )
    .get(
      "/jobs/:id",
      describe({
        summary: "A job",
        description:
          "An operator sees a result only once it is released; reviewing owners and regulators see what is held.",
        tag: "jobs",
        roles: ["operator", "regulator", "owner"],
        responses: { 200: { description: "The job", schema: jobResponseSchema } },
      }),
      async (c) => {
        const caller = c.get("participant");
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
      },
    )
    .post(
      "/jobs/:id/reviews",
      describe({
        summary: "Release or withhold a held result",
        tag: "jobs",
        roles: ["owner"],
        body: jobReviewSchema,
        responses: {
          200: { description: "The job's status after the review", schema: jobReviewOutcomeResponseSchema },
        },
        problems: ["forbidden", "conflict"],
      }),
      async (c) => {
        const owner = c.get("participant");
        const input = await jsonBody(c, jobReviewSchema);
        return c.json(
          await reviewJob(deps.db, deps.gatewayKeys, owner.id, c.req.param("id"), input.decision, input.reason),
        );
      },
    );
}
