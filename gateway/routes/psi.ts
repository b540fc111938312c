import { Hono } from "hono";
import { z } from "zod";
import { jsonBody } from "../../lib/validate.js";
import type { GatewayDeps, GatewayEnv, GatewayLimits } from "../deps.js";
import { createPsiJobs } from "../jobs/run-psi.js";
import { describe } from "../openapi/describe.js";
import { jobOutcomeResponseSchema, psiAnswerResponseSchema, psiStartResponseSchema } from "../openapi/responses.js";
import { psiAnswerSchema, psiSumReleaseRequestSchema, runPsiSchema } from "../schemas.js";

// A million points of 32 bytes, base64, twice, with room to spare.
const MAX_PSI_BODY_BYTES = 96 * 1024 * 1024;

/** Private set intersection with an owner's dataset, in two rounds driven by the operator's SDK. */
export function createPsiRoutes(deps: GatewayDeps, limits: GatewayLimits) {
  const psi = createPsiJobs(deps, limits);
  return new Hono<GatewayEnv>()
    .post(
      "/jobs/psi",
      describe({
        summary: "Start a private set intersection with an owner's dataset",
        description:
          "Decides and reserves like any job, then has the owner's node hash its identifiers to the group, raise them to a fresh secret exponent and shuffle them (for a sum, each beside your additive share of the entity's clamped total; with combineWith, both owners' nodes). Your SDK raises them to yours, blinds your own identifiers, and answers within the window (expiresAt); an unfinished job fails and gives its reservation back.",
        tag: "jobs",
        roles: ["operator"],
        body: runPsiSchema,
        responses: {
          201: {
            description: "The owner's set, blinded; answer it at /jobs/psi/{id}/answer",
            schema: psiStartResponseSchema,
          },
        },
        problems: ["denied", "quota_exhausted", "not_executable", "node_unavailable", "node_rejected", "node_timeout"],
      }),
      async (c) => {
        const input = await jsonBody(c, runPsiSchema);
        return c.json(await psi.start(c.get("participant").id, input, c.get("requestId")), 201);
      },
    )
    .post(
      "/jobs/psi/:id/answer",
      describe({
        summary: "Finish a private set intersection",
        description:
          "Your identifiers raised to your exponent (H(x)^a) and, for the size, each owner's set raised to your exponent and shuffled (H(y)^ba). The owner's node counts the intersection and releases it with discrete Laplace noise and withheld below k (two owners: each seals its membership bits to the helper, which releases the noisy size of the union or intersection), or returns H(x)^ab in your order for membership, or shuffled for a sum (the job stays open for its release).",
        tag: "jobs",
        roles: ["operator"],
        body: psiAnswerSchema,
        maxBodyBytes: MAX_PSI_BODY_BYTES,
        responses: {
          201: {
            description: "Succeeded (the result and its usage record), or for a sum the owner's answers to match",
            schema: psiAnswerResponseSchema,
          },
        },
        problems: ["not_found", "conflict", "node_unavailable", "node_rejected", "node_timeout"],
      }),
      async (c) => {
        const input = await jsonBody(c, psiAnswerSchema);
        return c.json(await psi.answer(c.get("participant").id, c.req.param("id"), input), 201);
      },
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
        responses: {
          201: { description: "Succeeded: the sum and its usage record", schema: jobOutcomeResponseSchema },
        },
        problems: ["not_found", "conflict", "node_unavailable", "node_rejected", "node_timeout"],
      }),
      async (c) => {
        const input = await jsonBody(c, psiSumReleaseRequestSchema);
        return c.json(await psi.releaseSum(c.get("participant").id, c.req.param("id"), input), 201);
      },
    )
    .delete(
      "/jobs/psi/:id",
      describe({
        summary: "Cancel an open private set intersection",
        description:
          "Fails the job and gives its quota and ε back at once, and has the owner's node drop its session and secret exponent. Only an open job of yours (started, not yet answered) can be cancelled.",
        tag: "jobs",
        roles: ["operator"],
        responses: {
          200: {
            description: "Cancelled",
            schema: z.strictObject({
              jobId: z.string(),
              status: z.literal("failed"),
              error: z.string(),
              ownerSessionEnded: z.boolean().describe("whether the owner's node confirmed it dropped the session"),
            }),
          },
        },
        problems: ["not_found"],
      }),
      async (c) => c.json(await psi.cancel(c.get("participant").id, c.req.param("id"))),
    );
}
