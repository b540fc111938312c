import type { z } from "zod";
import { ComputeError } from "../../compute/errors.js";
import { hePool } from "../../compute/he/pool.js";
import { type EncryptedModel, idsDigest, partModels } from "../../compute/he/scoring-model.js";
import { postToNode } from "../../compute/mpc/secure-aggregate.js";
import type { OwnerTask } from "../../compute/protocol.js";
import {
  type ScoringPlan,
  scoringHoldingsSchema,
  signScoringPlan,
  verifyScoringHoldings,
} from "../../compute/scoring/protocol.js";
import { SluiceError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import type { GatewayDeps, GatewayLimits } from "../deps.js";
import type { runVerticalScoringSchema } from "../schemas.js";
import { approvalProofs } from "./approval-proofs.js";
import { completeJob, earlierOutcome, failJob, reserveJob } from "./lifecycle.js";
import { ownerTaskFor } from "./plan-tasks.js";
import { checkModel, decideScoring, encryptedScores, scoreAtNode, scoringNoise, scoringPlanOf } from "./run-scoring.js";

export type VerticalScoringInput = z.infer<typeof runVerticalScoringSchema>;

const notExecutable = (message: string) => new SluiceError("not_executable", message);

/** Asks one owner's node which of the ids it holds, and checks the signed answer. */
async function holdingsAt(deps: GatewayDeps, limits: GatewayLimits, plan: ScoringPlan, ids: readonly string[]) {
  const task = plan.task;
  const answer = await postToNode(
    task,
    "/scores/holdings",
    JSON.stringify({ ...signScoringPlan(plan, deps.gatewayKeys.privateKey), ids }),
    { fetch: deps.fetch, timeoutMs: limits.nodeTimeoutMs },
    new AbortController().signal,
  );
  const holdings = scoringHoldingsSchema.safeParse(answer).data;
  const asked = new Set(ids);
  if (
    !holdings ||
    holdings.jobId !== plan.jobId ||
    holdings.nodeId !== task.nodeId ||
    !verifyScoringHoldings(holdings, task.publicKey) ||
    new Set(holdings.missing).size !== holdings.missing.length ||
    holdings.missing.some((id) => !asked.has(id))
  ) {
    throw new ComputeError("node_rejected", `the holdings from node ${task.nodeId} are malformed or do not verify`, {
      nodeId: task.nodeId,
    });
  }
  return new Set(holdings.missing);
}

/**
 * Runs a vertical score: one linear model whose features come from several owners. Each owner's
 * node first says which of the operator's ids it holds; the ids every owner holds are then scored
 * by each node on its own features under the operator's key, slot-aligned, and the gateway adds
 * the encrypted parts. It never holds a key that opens a part or the sum; the operator receives
 * only the sum, for the ids all owners hold, and learns which ids are missing at some owner.
 */
export async function runVerticalScoring(
  deps: GatewayDeps,
  limits: GatewayLimits,
  operatorId: string,
  input: VerticalScoringInput,
  requestId?: string,
) {
  const earlier = await earlierOutcome(deps, operatorId, input);
  if (earlier) return earlier;
  const now = deps.now?.() ?? new Date();
  const { evaluation, keys } = await decideScoring(deps, operatorId, input, input.parts, now);
  const { decision, hash } = evaluation;
  const models = partModels(input.model, input.parts);
  await checkModel({ model: input.model, features: input.parts.flatMap((p) => p.features) }, keys);
  const proofs = await approvalProofs(deps.db, input.scenarioId);
  const tasks: OwnerTask[] = [];
  for (const part of input.parts) tasks.push(await ownerTaskFor(deps.db, part.datasetId, part.idField, proofs));
  if (new Set(tasks.map((t) => t.nodeId)).size !== tasks.length) {
    throw notExecutable("each part of a vertical score is scored at its own owner's node; two parts share one here");
  }
  const jobId = input.jobId ?? newId("job");
  const epsilonMicro = evaluation.request.epsilonMicro;
  await reserveJob(deps, { jobId, operatorId, evaluation, epsilon: input.epsilon, requestId, now });

  const planFor = (i: number, stage: "holdings" | "score", ids: readonly string[], digest: string) => {
    const part = input.parts[i] as VerticalScoringInput["parts"][number];
    return scoringPlanOf({
      jobId,
      scenarioId: input.scenarioId,
      keys,
      idField: part.idField,
      features: part.features,
      model: models[i] as EncryptedModel,
      ids,
      idsDigest: digest,
      epsilonMicro,
      decisionHash: hash,
      requestId,
      terms: proofs.terms,
      task: tasks[i] as OwnerTask,
      vertical: { stage, parts: input.parts.length, addsBias: i === 0 },
      issuedAt: deps.now?.() ?? new Date(),
      lifetimeMs: 2 * limits.nodeTimeoutMs,
    });
  };
  let scored: { ids: string[]; missing: string[]; ciphertexts: string[] };
  try {
    const asked = idsDigest(input.ids);
    const missingAt = await Promise.all(
      input.parts.map((_, i) => holdingsAt(deps, limits, planFor(i, "holdings", input.ids, asked), input.ids)),
    );
    const ids = input.ids.filter((id) => missingAt.every((missing) => !missing.has(id)));
    const missing = input.ids.filter((id) => missingAt.some((m) => m.has(id)));
    let ciphertexts: string[] = [];
    if (ids.length > 0) {
      const digest = idsDigest(ids);
      const partial = await Promise.all(
        input.parts.map(async (_, i) => {
          // A node that lacks every id some node lacks holds exactly these: the plan names them, unsent.
          const idsHeld = (missingAt[i] as Set<string>).size === missing.length;
          const plan = planFor(i, "score", ids, digest);
          const answer = await scoreAtNode(
            deps,
            limits,
            plan,
            { model: models[i] as EncryptedModel, ids },
            keys,
            idsHeld,
          );
          if (answer.scores.missing.length > 0) {
            throw new ComputeError("node_rejected", `node ${tasks[i]?.nodeId} no longer holds ids it said it held`, {
              nodeId: tasks[i]?.nodeId,
            });
          }
          return answer.scores.ciphertexts;
        }),
      );
      ciphertexts = await hePool().addPartialScores(partial);
    }
    scored = { ids, missing, ciphertexts };
  } catch (error) {
    throw await failJob(deps, jobId, error);
  }
  const result = {
    queryShape: "he-score",
    parts: input.parts,
    modelKind: input.model.kind,
    noise: scoringNoise(epsilonMicro, input.epsilon),
    classification: decision.obligations.resultClassification,
    encrypted: encryptedScores(keys, input.model, scored.ids, scored.missing, scored.ciphertexts),
  };
  const usageRecordId = await completeJob(deps, jobId, evaluation, result, deps.now?.() ?? new Date());
  return { jobId, status: "succeeded" as const, result, usageRecordId, decisionHash: hash };
}
