import type { z } from "zod";
import { ComputeError } from "../../compute/errors.js";
import { hePool } from "../../compute/he/pool.js";
import { idsDigest, modelDigest, SCORES_PER_CIPHERTEXT } from "../../compute/he/scoring-model.js";
import { postToNode } from "../../compute/mpc/secure-aggregate.js";
import {
  encryptedScoresSchema,
  keyDigest,
  type ScoringPlan,
  signScoringPlan,
  verifyEncryptedScores,
} from "../../compute/scoring/protocol.js";
import { SluiceError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import type { HeKeysRow } from "../../store/index.js";
import type { GatewayDeps, GatewayLimits } from "../deps.js";
import type { runScoringSchema } from "../schemas.js";
import { approvalProofs } from "./approval-proofs.js";
import { completeJob, decideUnheld, earlierOutcome, failJob, operatorHeKeys, reserveJob } from "./lifecycle.js";
import { ownerTaskFor } from "./plan-tasks.js";

export type ScoringInput = z.infer<typeof runScoringSchema>;

/** Checks the model against the operator's keys before anything is reserved: a bad one is a 422, not a node's failure. */
export async function checkModel(input: Pick<ScoringInput, "model" | "features">, keys: HeKeysRow) {
  if (input.model.kind === "quadratic" && !keys.relinKeys) {
    throw new SluiceError(
      "not_executable",
      `a quadratic model needs relinearisation keys; key set ${keys.id} has none (sluice he-keygen --relin)`,
    );
  }
  await hePool().validateScoringModel(
    input.model,
    { publicKey: keys.publicKey, ...(input.model.kind === "quadratic" ? { relinKeys: keys.relinKeys as string } : {}) },
    input.features.length,
  );
}

/**
 * Asks the owner's node to score, and checks its signed answer against the plan. `idsHeld`: a
 * vertical score's ids are exactly those the node said it holds, so they are named by the plan's
 * digest and not sent again.
 */
export async function scoreAtNode(
  deps: GatewayDeps,
  limits: GatewayLimits,
  plan: ScoringPlan,
  input: Pick<ScoringInput, "model" | "ids">,
  keys: HeKeysRow,
  idsHeld = false,
) {
  const task = plan.task;
  const relinKeys = plan.modelKind === "quadratic" ? (keys.relinKeys as string) : undefined;
  const body = JSON.stringify({
    ...signScoringPlan(plan, deps.gatewayKeys.privateKey),
    keys: { publicKey: keys.publicKey, ...(relinKeys ? { relinKeys } : {}) },
    model: input.model,
    ...(idsHeld ? {} : { ids: input.ids }),
  });
  const answer = await postToNode(
    task,
    "/scores",
    body,
    { fetch: deps.fetch, timeoutMs: limits.nodeTimeoutMs },
    new AbortController().signal,
  );
  const parsed = encryptedScoresSchema.safeParse(answer);
  const scores = parsed.data;
  if (
    !scores ||
    scores.jobId !== plan.jobId ||
    scores.nodeId !== task.nodeId ||
    !verifyEncryptedScores(scores, task.publicKey)
  ) {
    throw new ComputeError("node_rejected", `the scores from node ${task.nodeId} are malformed or do not verify`, {
      nodeId: task.nodeId,
    });
  }
  const missing = new Set(scores.missing);
  const asked = new Set(input.ids);
  if (
    scores.scored + scores.missing.length !== input.ids.length ||
    missing.size !== scores.missing.length ||
    scores.missing.some((id) => !asked.has(id)) ||
    scores.ciphertexts.length !== Math.ceil(scores.scored / SCORES_PER_CIPHERTEXT)
  ) {
    throw new ComputeError("node_rejected", `node ${task.nodeId} did not score exactly the ids asked`, {
      nodeId: task.nodeId,
    });
  }
  return { scores, scoredIds: input.ids.filter((id) => !missing.has(id)) };
}

/**
 * What every scoring job decides first: the scenario's verdict over each part's id field and
 * features (results no one but the operator can review), and the operator's CKKS keys.
 */
export async function decideScoring(
  deps: GatewayDeps,
  operatorId: string,
  input: { scenarioId: string; heKeysId: string; epsilon: number },
  parts: readonly { datasetId: string; idField: string; features: readonly string[] }[],
  now: Date,
) {
  const fields = parts.flatMap((p) => [p.idField, ...p.features].map((f) => `${p.datasetId}.${f}`));
  const evaluation = await decideUnheld(
    deps,
    operatorId,
    { scenarioId: input.scenarioId, computeMode: "he", queryShape: "he-score", epsilon: input.epsilon },
    fields,
    now,
    "encrypted scores cannot be reviewed by anyone but the operator",
  );
  const keys = await operatorHeKeys(deps, operatorId, input.heKeysId, "ckks-");
  return { evaluation, keys };
}

/** The signed instruction to one owner's node: what to score, under which keys, within which terms. */
export function scoringPlanOf(input: {
  jobId: string;
  scenarioId: string;
  keys: HeKeysRow;
  idField: string;
  features: string[];
  model: ScoringInput["model"];
  ids: readonly string[];
  /** The ids' digest when the caller has it already (one list, several plans). */
  idsDigest?: string;
  epsilonMicro: number;
  decisionHash: string;
  requestId: string | undefined;
  terms: ScoringPlan["terms"];
  task: ScoringPlan["task"];
  vertical?: ScoringPlan["vertical"];
  issuedAt: Date;
  lifetimeMs: number;
}): ScoringPlan {
  const { keys, model } = input;
  return {
    version: 2,
    kind: "score",
    jobId: input.jobId,
    scenarioId: input.scenarioId,
    he: {
      keysId: keys.id,
      paramSet: "ckks-8192",
      publicKeyDigest: keyDigest(keys.publicKey),
      ...(model.kind === "quadratic" ? { relinKeysDigest: keyDigest(keys.relinKeys as string) } : {}),
    },
    idField: input.idField,
    features: input.features,
    modelKind: model.kind,
    modelDigest: modelDigest(model),
    idsDigest: input.idsDigest ?? idsDigest(input.ids),
    idCount: input.ids.length,
    ...(input.vertical ? { vertical: input.vertical } : {}),
    epsilonMicro: input.epsilonMicro,
    decisionHash: input.decisionHash,
    ...(input.requestId ? { requestId: input.requestId } : {}),
    terms: input.terms,
    task: input.task,
    issuedAt: input.issuedAt.toISOString(),
    expiresAt: new Date(input.issuedAt.getTime() + input.lifetimeMs).toISOString(),
  };
}

/** How a scoring result says what noise its features carry. */
export function scoringNoise(epsilonMicro: number, epsilon: number) {
  return epsilonMicro > 0
    ? {
        mechanism: "discrete-laplace",
        epsilon,
        appliedTo:
          "each feature of each record, clamped to its owner's bounds, scale = range × the owner's features / ε",
      }
    : { mechanism: "none" };
}

/** The scores as the operator receives them: still encrypted for its key, in the order of `ids`. */
export function encryptedScores(
  keys: HeKeysRow,
  model: ScoringInput["model"],
  ids: string[],
  missing: string[],
  ciphertexts: string[],
) {
  return {
    keysId: keys.id,
    paramSet: keys.paramSet,
    fingerprint: keys.fingerprint,
    scoresPerCiphertext: SCORES_PER_CIPHERTEXT,
    outputScale: model.outputScale,
    ids,
    missing,
    ciphertexts,
    note: "slot i of ciphertext c is outputScale × the score of ids[4096·c + i]; decrypt with your secret key (sdk decryptScoringResult)",
  };
}

/**
 * Runs an encrypted scoring job: decide, check the model, reserve, have the owner's node score its
 * records for the ids under the encrypted model, and finish with the usage record. The gateway
 * never holds a key that opens the model or the scores.
 */
export async function runScoring(
  deps: GatewayDeps,
  limits: GatewayLimits,
  operatorId: string,
  input: ScoringInput,
  requestId?: string,
) {
  const earlier = await earlierOutcome(deps, operatorId, input);
  if (earlier) return earlier;
  const now = deps.now?.() ?? new Date();
  const parts = [{ datasetId: input.datasetId, idField: input.idField, features: input.features }];
  const { evaluation, keys } = await decideScoring(deps, operatorId, input, parts, now);
  const { decision, hash } = evaluation;
  await checkModel(input, keys);
  const proofs = await approvalProofs(deps.db, input.scenarioId);
  const task = await ownerTaskFor(deps.db, input.datasetId, input.idField, proofs);
  const jobId = input.jobId ?? newId("job");
  const epsilonMicro = evaluation.request.epsilonMicro;
  await reserveJob(deps, { jobId, operatorId, evaluation, epsilon: input.epsilon, requestId, now });

  const plan = scoringPlanOf({
    jobId,
    scenarioId: input.scenarioId,
    keys,
    idField: input.idField,
    features: input.features,
    model: input.model,
    ids: input.ids,
    epsilonMicro,
    decisionHash: hash,
    requestId,
    terms: proofs.terms,
    task,
    issuedAt: now,
    lifetimeMs: limits.nodeTimeoutMs,
  });
  let scored: Awaited<ReturnType<typeof scoreAtNode>>;
  try {
    scored = await scoreAtNode(deps, limits, plan, input, keys);
  } catch (error) {
    throw await failJob(deps, jobId, error);
  }
  const result = {
    queryShape: "he-score",
    datasetId: input.datasetId,
    idField: input.idField,
    features: input.features,
    modelKind: input.model.kind,
    noise: scoringNoise(epsilonMicro, input.epsilon),
    classification: decision.obligations.resultClassification,
    encrypted: encryptedScores(keys, input.model, scored.scoredIds, scored.scores.missing, scored.scores.ciphertexts),
  };
  const usageRecordId = await completeJob(deps, jobId, evaluation, result, deps.now?.() ?? new Date());
  return { jobId, status: "succeeded" as const, result, usageRecordId, decisionHash: hash };
}
