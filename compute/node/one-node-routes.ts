import { Hono, type MiddlewareHandler } from "hono";
import { SluiceError } from "../../lib/errors.js";
import type { Logger } from "../../lib/logger.js";
import { jsonBody } from "../../lib/validate.js";
import { hePool } from "../he/pool.js";
import type { EncryptionKeys } from "../mpc/channel.js";
import { psiCombineReleaseSchema, psiSumReleaseSchema } from "../psi/helper-protocol.js";
import { psiPool } from "../psi/pool.js";
import {
  psiAnswerRequestSchema,
  psiCancelRequestSchema,
  psiChunkSchema,
  psiPageRequestSchema,
  psiStartSchema,
} from "../psi/protocol.js";
import {
  type EncryptedScores,
  holdingsRequestSchema,
  scoringRequestSchema,
  verifyScoringPlan,
} from "../scoring/protocol.js";
import type { NodeAppOptions } from "./app.js";
import type { ApprovalCheckContext } from "./approval-check.js";
import type { PeerPins } from "./peers.js";
import { createPsiResponder } from "./psi.js";
import { createPsiHelper } from "./psi-helper.js";
import { ScoreQuota } from "./score-quota.js";
import { createScorer } from "./scoring.js";
import type { SpendLedger } from "./spend-ledger.js";

/** What the one-node protocols' routes share with the node's app. */
export interface OneNodeContext {
  options: NodeAppOptions;
  encryption: EncryptionKeys;
  approval: Omit<ApprovalCheckContext, "now">;
  pins: PeerPins;
  spend: SpendLedger;
  logger: Logger;
  now: () => Date;
  /** The body limit of these routes. */
  limit: MiddlewareHandler;
}

/**
 * POST /scores: encrypted scoring of the owner's records under an operator's encrypted model;
 * POST /scores/holdings: a vertical score's first stage, which of the operator's ids are held here.
 */
export function scoringRoutes({ options, approval, spend, logger, now, limit }: OneNodeContext): Hono {
  const scorer = createScorer({
    nodeId: options.nodeId,
    privateKey: options.privateKey,
    publicKey: options.publicKey,
    gatewayPublicKey: options.gatewayPublicKey,
    store: options.store,
    scoring: options.helper ? {} : (options.scoring ?? {}),
    quota: options.scoreQuota ?? new ScoreQuota(),
    pool: hePool,
    approval,
    spend,
    now,
  });
  const scoring = new Map<string, { signature: string; job: Promise<EncryptedScores> }>();
  const app = new Hono();
  app.use("/scores", limit);
  app.use("/scores/holdings", limit);
  app.post("/scores/holdings", async (c) => {
    const request = await jsonBody(c, holdingsRequestSchema);
    const { plan } = request;
    const holdings = await scorer.holdings(request);
    logger.info(
      {
        requestId: plan.requestId,
        jobId: plan.jobId,
        scenarioId: plan.scenarioId,
        nodeId: options.nodeId,
        ids: plan.idCount,
        held: plan.idCount - holdings.missing.length,
      },
      "holdings answered",
    );
    return c.json(holdings);
  });
  app.post("/scores", async (c) => {
    const request = await jsonBody(c, scoringRequestSchema);
    const { plan } = request;
    const context = {
      requestId: plan.requestId,
      jobId: plan.jobId,
      scenarioId: plan.scenarioId,
      nodeId: options.nodeId,
    };
    if (!verifyScoringPlan(plan, request.signature, options.gatewayPublicKey)) {
      throw new SluiceError("unauthenticated", "the plan is not signed by the gateway this node trusts");
    }
    // A retried request for a job already scored gets the same answer and spends no second score.
    const earlier = scoring.get(plan.jobId);
    if (earlier && earlier.signature !== request.signature) {
      throw new SluiceError("conflict", `job ${plan.jobId} was already scored under another plan`);
    }
    let job = earlier?.job;
    if (!job) {
      logger.info(
        { ...context, ids: plan.idCount, features: plan.features.length, model: plan.modelKind },
        "scoring accepted",
      );
      const started = performance.now();
      job = scorer.score(request);
      scoring.set(plan.jobId, { signature: request.signature, job });
      job.then(
        (scores) =>
          logger.info(
            { ...context, ms: Math.round(performance.now() - started), scored: scores.scored },
            "scores returned",
          ),
        (error: unknown) => {
          scoring.delete(plan.jobId);
          logger.warn({ ...context, code: (error as { code?: string }).code, err: error }, "scoring failed");
        },
      );
      // Kept for retries, which come within seconds: a few jobs' scores, not megabytes times thousands.
      if (scoring.size > 16) scoring.delete(scoring.keys().next().value as string);
    }
    return c.json(await job);
  });

  return app;
}

/**
 * POST /psi/sessions, /psi/pages, /psi/operator-points, /psi/raised-points, /psi/answers,
 * /psi/answer-pages and /psi/cancellations: the owner's side of a private set intersection; POST
 * /psi/sums and /psi/combinations: the helper's releases of a PSI-sum and of a two-owner size.
 */
export function psiRoutes({ options, encryption, approval, pins, spend, logger, now, limit }: OneNodeContext): Hono {
  const psi = createPsiResponder({
    nodeId: options.nodeId,
    privateKey: options.privateKey,
    publicKey: options.publicKey,
    gatewayPublicKey: options.gatewayPublicKey,
    store: options.store,
    pool: psiPool,
    approval,
    pins,
    spend,
    now,
  });
  const app = new Hono();
  app.use("/psi/*", limit);
  app.post("/psi/sessions", async (c) => {
    if (options.helper) throw new SluiceError("forbidden", `helper node ${options.nodeId} holds no data`);
    const request = await jsonBody(c, psiStartSchema);
    logger.info(
      { requestId: request.plan.requestId, jobId: request.plan.jobId, output: request.plan.output },
      "psi started",
    );
    return c.json(await psi.start(request));
  });
  app.post("/psi/pages", async (c) => c.json(await psi.page(await jsonBody(c, psiPageRequestSchema))));
  app.post("/psi/operator-points", async (c) => c.json(await psi.operatorPoints(await jsonBody(c, psiChunkSchema))));
  app.post("/psi/raised-points", async (c) => c.json(await psi.raisedPoints(await jsonBody(c, psiChunkSchema))));
  app.post("/psi/answer-pages", async (c) => c.json(await psi.answerPage(await jsonBody(c, psiPageRequestSchema))));

  app.post("/psi/answers", async (c) => {
    const request = await jsonBody(c, psiAnswerRequestSchema);
    const result = await psi.answer(request);
    logger.info({ jobId: request.jobId, suppressed: result.suppressed }, "psi answered");
    return c.json(result);
  });

  const helper = createPsiHelper({
    nodeId: options.nodeId,
    publicKey: options.publicKey,
    privateKey: options.privateKey,
    encryption,
    gatewayPublicKey: options.gatewayPublicKey,
    pins,
    now,
  });
  const helperOnly = () => {
    if (!options.helper) throw new SluiceError("forbidden", `node ${options.nodeId} is not a helper node`);
  };
  app.post("/psi/sums", async (c) => {
    helperOnly();
    const result = helper.sum(await jsonBody(c, psiSumReleaseSchema));
    logger.info({ jobId: result.jobId, suppressed: result.suppressed }, "psi sum released");
    return c.json(result);
  });
  app.post("/psi/combinations", async (c) => {
    helperOnly();
    const result = helper.combine(await jsonBody(c, psiCombineReleaseSchema));
    logger.info({ jobId: result.jobId, suppressed: result.suppressed }, "psi two-owner size released");
    return c.json(result);
  });

  app.post("/psi/cancellations", async (c) => {
    const request = await jsonBody(c, psiCancelRequestSchema);
    const ended = psi.cancel(request);
    logger.info({ jobId: request.jobId, ended }, "psi cancelled");
    return c.json({ jobId: request.jobId, ended });
  });

  return app;
}
