import type { Context } from "hono";
import { Hono } from "hono";
import { z } from "zod";
import { MAX_PSI_CHUNKS } from "../../compute/psi/limits.js";
import type { ErrorCode } from "../../lib/error-codes.js";
import { ValidationError } from "../../lib/errors.js";
import { jsonBody } from "../../lib/validate.js";
import type { GatewayDeps, GatewayEnv, GatewayLimits } from "../deps.js";
import { createPsiJobs } from "../jobs/run-psi.js";
import { describe } from "../openapi/describe.js";
import {
  jobOutcomeResponseSchema,
  psiAnswerResponseSchema,
  psiChunkResponseSchema,
  psiPageResponseSchema,
  psiStartResponseSchema,
} from "../openapi/responses.js";
import { psiAnswerSchema, psiChunkUploadSchema, psiSumReleaseRequestSchema, runPsiSchema } from "../schemas.js";

// A chunk of 16,384 points, base64, with room to spare; a sum's bitmap over 16.7 million entities (2 MiB).
const MAX_PSI_BODY_BYTES = 8 * 1024 * 1024;

/** A path parameter that must be a whole number in [0, max]. */
function wholeParam(c: Context, name: string, max: number): number {
  const text = c.req.param(name) ?? "";
  const value = Number(text);
  if (!/^\d{1,9}$/.test(text) || value > max) {
    throw new ValidationError(`${name} must be a whole number from 0 to ${max}`, [
      { path: name, message: "out of range" },
    ]);
  }
  return value;
}

const problems: ErrorCode[] = [
  "not_found",
  "conflict",
  "plan_not_approved",
  "node_unavailable",
  "node_rejected",
  "node_timeout",
];

/**
 * Private set intersection with an owner's dataset (or two owners'), in chunks the operator's SDK
 * drives with its own exponent: start, fetch the owners' pages, send your points, send each owner's
 * points raised (for a size), answer, and for a sum fetch the answers and release.
 */
export function createPsiRoutes(deps: GatewayDeps, limits: GatewayLimits) {
  const psi = createPsiJobs(deps, limits);
  const operator = (c: Context<GatewayEnv>) => c.get("participant").id;
  return new Hono<GatewayEnv>()
    .post(
      "/jobs/psi",
      describe({
        summary: "Start a private set intersection with an owner's dataset",
        description:
          "Decides and reserves like any job, then opens a session at the owner's node (with combineWith, at both owners'): it normalises its identifiers and shuffles them, and serves its set in pages (hashed to the group and raised to a fresh secret exponent; for a sum, each beside your additive share of the entity's clamped total). Your SDK drives the rest within the window (expiresAt); an unfinished job fails and gives its reservation back, unless a result had begun to leave (membership answers, a sum's answers): then it is charged.",
        tag: "jobs",
        roles: ["operator"],
        body: runPsiSchema,
        responses: {
          201: { description: "The session is open: fetch the owners' pages", schema: psiStartResponseSchema },
        },
        problems: ["denied", "quota_exhausted", "not_executable", "node_unavailable", "node_rejected", "node_timeout"],
      }),
      async (c) => {
        const input = await jsonBody(c, runPsiSchema);
        return c.json(await psi.start(operator(c), input, c.get("requestId")), 201);
      },
    )
    .get(
      "/jobs/psi/:id/owners/:owner/pages/:index",
      describe({
        summary: "A page of an owner's set",
        description:
          "H(y)^b for the owner's entities at [index·chunkSize, (index+1)·chunkSize) of its shuffled order, computed by its node when asked; for a sum, your shares of their totals beside them. owner is 0, or 1 for the second owner of a two-owner size.",
        tag: "jobs",
        roles: ["operator"],
        responses: { 200: { description: "The page", schema: psiPageResponseSchema } },
        problems,
      }),
      async (c) =>
        c.json(
          await psi.page(
            operator(c),
            c.req.param("id"),
            wholeParam(c, "owner", 1),
            wholeParam(c, "index", MAX_PSI_CHUNKS - 1),
          ),
        ),
    )
    .post(
      "/jobs/psi/:id/points",
      describe({
        summary: "Send a chunk of your points",
        description:
          "Your identifiers hashed and raised to your exponent (H(x)^a), chunk by chunk in your order; each owner's node raises them to its exponent. For membership the reply carries them back (H(x)^ab); otherwise the node keeps them to compare. A chunk sent twice is refused (409).",
        tag: "jobs",
        roles: ["operator"],
        body: psiChunkUploadSchema,
        maxBodyBytes: MAX_PSI_BODY_BYTES,
        responses: { 201: { description: "Received", schema: psiChunkResponseSchema } },
        problems: [...problems, "psi_point_invalid", "psi_chunk_repeated"],
      }),
      async (c) => {
        const chunk = await jsonBody(c, psiChunkUploadSchema);
        return c.json(await psi.operatorPoints(operator(c), c.req.param("id"), chunk), 201);
      },
    )
    .post(
      "/jobs/psi/:id/owners/:owner/raised-points",
      describe({
        summary: "Send a chunk of an owner's points raised to your exponent",
        description:
          "For a size: every point of the owner's set raised to your exponent (H(y)^ba), in sorted order (an order that depends on the points alone, so the owner cannot tell which of its entities matched), chunk by chunk.",
        tag: "jobs",
        roles: ["operator"],
        body: psiChunkUploadSchema,
        maxBodyBytes: MAX_PSI_BODY_BYTES,
        responses: { 201: { description: "Received", schema: psiChunkResponseSchema } },
        problems,
      }),
      async (c) => {
        const chunk = await jsonBody(c, psiChunkUploadSchema);
        return c.json(await psi.raisedPoints(operator(c), c.req.param("id"), wholeParam(c, "owner", 1), chunk), 201);
      },
    )
    .post(
      "/jobs/psi/:id/answer",
      describe({
        summary: "Finish a private set intersection",
        description:
          "Says how many chunks and points of your own you sent, so none is missing. The owner's node compares and releases the size with discrete Laplace noise, withheld below k (two owners: each seals its membership bits to the helper, which releases the noisy size of the union or intersection); for membership it records the job; for a sum it writes your points raised and sorted for you to fetch, and the job waits for its release.",
        tag: "jobs",
        roles: ["operator"],
        body: psiAnswerSchema,
        responses: {
          201: {
            description: "Succeeded (the result and its usage record), or for a sum how many pages of answers to fetch",
            schema: psiAnswerResponseSchema,
          },
        },
        problems,
      }),
      async (c) => {
        const input = await jsonBody(c, psiAnswerSchema);
        return c.json(await psi.answer(operator(c), c.req.param("id"), input), 201);
      },
    )
    .get(
      "/jobs/psi/:id/answers/:index",
      describe({
        summary: "A page of a sum's answers",
        description: "Your points raised by the owner (H(x)^ab), sorted, so their order says nothing of yours.",
        tag: "jobs",
        roles: ["operator"],
        responses: { 200: { description: "The page", schema: psiPageResponseSchema } },
        problems,
      }),
      async (c) =>
        c.json(await psi.answerPage(operator(c), c.req.param("id"), wholeParam(c, "index", MAX_PSI_CHUNKS - 1))),
    )
    .post(
      "/jobs/psi/:id/sum",
      describe({
        summary: "Release a PSI-sum",
        description:
          "Which of the owner's shuffled entities matched your points (a bitmap) and the sum of your shares over them. The platform's helper node adds its share of the same entities and discrete Laplace noise, and withholds the sum when fewer than k matched. You learn the exact number of matched entities, as in Private Join and Compute.",
        tag: "jobs",
        roles: ["operator"],
        body: psiSumReleaseRequestSchema,
        maxBodyBytes: MAX_PSI_BODY_BYTES,
        responses: {
          201: { description: "Succeeded: the sum and its usage record", schema: jobOutcomeResponseSchema },
        },
        problems: [...problems, "psi_bitmap_invalid"],
      }),
      async (c) => {
        const input = await jsonBody(c, psiSumReleaseRequestSchema);
        return c.json(await psi.releaseSum(operator(c), c.req.param("id"), input), 201);
      },
    )
    .delete(
      "/jobs/psi/:id",
      describe({
        summary: "Cancel an open private set intersection",
        description:
          "Fails the job and gives its quota and ε back at once, and has the owners' nodes drop their sessions, secret exponents and files. A job whose result had begun to leave (membership answers, a sum's answers) is charged instead: it ends succeeded with its usage record. Only an open job of yours (started, not yet finished) can be cancelled, and not while its answer is being computed (409). A job the stale-job sweep already ended keeps that ending, and what it reserved comes back once.",
        tag: "jobs",
        roles: ["operator"],
        responses: {
          200: {
            description: "Cancelled",
            schema: z.union([
              z.strictObject({
                jobId: z.string(),
                status: z.literal("failed"),
                error: z.string(),
                ownerSessionEnded: z.boolean().describe("whether the owners' nodes confirmed they dropped the session"),
              }),
              z
                .strictObject({
                  jobId: z.string(),
                  status: z.literal("succeeded"),
                  charged: z.literal(true),
                  usageRecordId: z.string(),
                  ownerSessionEnded: z.boolean(),
                })
                .describe("a result had already left (membership chunks, a sum's answers): the job is charged"),
            ]),
          },
        },
        problems: ["not_found", "conflict"],
      }),
      async (c) => c.json(await psi.cancel(operator(c), c.req.param("id"))),
    );
}
