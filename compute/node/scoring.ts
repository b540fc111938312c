import type { KeyObject } from "node:crypto";
import { SluiceError } from "../../lib/errors.js";
import type { HePool } from "../he/pool.js";
import type { FeatureRecipe } from "../he/scoring.js";
import { idsDigest, modelDigest, SCORES_PER_CIPHERTEXT } from "../he/scoring-model.js";
import type { OwnerTask } from "../protocol.js";
import {
  type EncryptedScores,
  keyDigest,
  type ScoringPlan,
  type ScoringRequest,
  signEncryptedScores,
  verifyScoringPlan,
} from "../scoring/protocol.js";
import { type ApprovalCheckContext, outsideTerms } from "./approval-check.js";
import { type NodeDataStore, scaleOf } from "./datastore.js";
import { admitPlan } from "./plan-gate.js";
import type { ScoreQuota } from "./score-quota.js";
import type { SpendLedger } from "./spend-ledger.js";

/** What an owner allows of scoring on one dataset, in its node's configuration. */
export interface ScoringSettings {
  /** The text column entities are looked up by (a unified social credit code). */
  idField: string;
  /** [lowest, highest] of each field a model may weigh, in the field's own unit: values are clamped to it. */
  bounds: Record<string, [number, number]>;
  /** How many times one entity may be scored under one scenario. */
  maxScoresPerId: number;
}

export interface ScorerOptions {
  nodeId: string;
  privateKey: KeyObject;
  publicKey: string;
  gatewayPublicKey: string;
  store: NodeDataStore;
  scoring: Record<string, ScoringSettings>;
  quota: ScoreQuota;
  pool: () => HePool;
  approval: Omit<ApprovalCheckContext, "now">;
  /** The scenario's queries and ε at this node, against what its owner signed. */
  spend: SpendLedger;
  now: () => Date;
}

const refuse = (message: string) => new SluiceError("plan_not_approved", message);

/**
 * The feature matrix the model sees, column-packed in batches: each feature clamped to the owner's
 * bounds, in the node's fixed point, with the recipe the SEAL worker finishes it with: when ε > 0,
 * discrete Laplace noise of scale (range · features / ε) on each value of each record, so that one
 * scoring of one entity is ε-differentially private for that entity whatever the model (a function
 * of the noisy features only, by post-processing); then division into the field's own unit.
 */
export function featureBatches(
  store: NodeDataStore,
  plan: Pick<ScoringPlan, "features" | "epsilonMicro"> & { task: Pick<OwnerTask, "datasetId"> },
  settings: ScoringSettings,
  rows: Int32Array,
): { batches: Float64Array[][]; recipes: FeatureRecipe[] } {
  const datasetId = plan.task.datasetId;
  const columns = store.describe(datasetId)?.columns ?? [];
  const m = plan.features.length;
  const found = rows.filter((r) => r >= 0);
  const batches: Float64Array[][] = [];
  for (let start = 0; start < found.length; start += SCORES_PER_CIPHERTEXT) {
    batches.push(plan.features.map(() => new Float64Array(Math.min(SCORES_PER_CIPHERTEXT, found.length - start))));
  }
  const recipes = plan.features.map((feature, j): FeatureRecipe => {
    const spec = columns.find((c) => c.name === feature);
    if (!spec || spec.type === "string") throw refuse(`${datasetId}.${feature} is not a numeric field of this node`);
    const bounds = settings.bounds[feature];
    if (!bounds)
      throw refuse(`the owner set no bounds for ${datasetId}.${feature}, so this node does not score with it`);
    const divisor = scaleOf(spec.type);
    const [low, high] = [Math.round(bounds[0] * divisor), Math.round(bounds[1] * divisor)];
    const values = store.numbers(datasetId, feature);
    found.forEach((row, i) => {
      (batches[Math.floor(i / SCORES_PER_CIPHERTEXT)]?.[j] as Float64Array)[i % SCORES_PER_CIPHERTEXT] = Math.min(
        high,
        Math.max(low, values[row] as number),
      );
    });
    return {
      divisor,
      noise:
        plan.epsilonMicro > 0 ? [BigInt(Math.max(1, high - low) * m) * 1_000_000n, BigInt(plan.epsilonMicro)] : null,
    };
  });
  return { batches, recipes };
}

/** Answers a gateway's scoring request, or throws the reason this node refuses it. */
export function createScorer(options: ScorerOptions) {
  function check(request: ScoringRequest): { settings: ScoringSettings; task: OwnerTask } {
    const { plan } = request;
    const task = admitPlan(verifyScoringPlan(plan, request.signature, options.gatewayPublicKey), plan, {
      ...options,
      now: options.now(),
    });
    if (modelDigest(request.model) !== plan.modelDigest || request.model.kind !== plan.modelKind) {
      throw new SluiceError("validation_failed", "the model is not the one the gateway signed");
    }
    if (request.ids.length !== plan.idCount || idsDigest(request.ids) !== plan.idsDigest) {
      throw new SluiceError("validation_failed", "the ids are not the ones the gateway signed");
    }
    if (
      keyDigest(request.keys.publicKey) !== plan.he.publicKeyDigest ||
      (request.keys.relinKeys ? keyDigest(request.keys.relinKeys) : undefined) !== plan.he.relinKeysDigest
    ) {
      throw new SluiceError("validation_failed", "the keys are not the ones the gateway signed");
    }
    const refusal = outsideTerms(
      {
        terms: plan.terms,
        scenarioId: plan.scenarioId,
        computeMode: "he",
        shape: "he-score",
        datasetId: task.datasetId,
        fieldsRead: [plan.idField, ...plan.features],
        minGroupSize: null,
        epsilonMicro: plan.epsilonMicro,
      },
      task.approval,
      { ...options.approval, now: options.now() },
    );
    if (refusal) throw refuse(`this node's owner did not approve this plan: ${refusal}`);
    const settings = options.scoring[task.datasetId];
    if (!settings) throw refuse(`the owner has not opened dataset ${task.datasetId} to scoring on this node`);
    if (settings.idField !== plan.idField) {
      throw refuse(`entities of ${task.datasetId} are looked up by ${settings.idField}, not ${plan.idField}`);
    }
    return { settings, task };
  }

  return async function score(request: ScoringRequest): Promise<EncryptedScores> {
    const { plan } = request;
    const { settings, task } = check(request);
    const rows = options.store.rowsOf(task.datasetId, plan.idField, request.ids);
    const { batches, recipes } = featureBatches(options.store, { ...plan, task }, settings, rows);
    // Counted before anything is computed: a failure after this point spends the score, never refunds it.
    const job = { jobId: plan.jobId, epsilonMicro: plan.epsilonMicro };
    options.spend.check(plan.terms, job);
    options.quota.take(plan.scenarioId, request.ids, settings.maxScoresPerId);
    options.spend.take(plan.terms, job);
    const pool = options.pool();
    const chunk = Math.max(1, Math.ceil(batches.length / pool.size));
    const parts: Float64Array[][][] = [];
    for (let i = 0; i < batches.length; i += chunk) parts.push(batches.slice(i, i + chunk));
    const digest = plan.modelDigest;
    const ciphertexts = (
      await Promise.all(
        parts.map((part) =>
          pool.scoreBatches({ digest, model: request.model, keys: request.keys, batches: part, recipes }),
        ),
      )
    ).flat();
    return signEncryptedScores(
      {
        jobId: plan.jobId,
        nodeId: options.nodeId,
        scored: rows.filter((r) => r >= 0).length,
        missing: request.ids.filter((_, i) => (rows[i] as number) < 0),
        ciphertexts,
      },
      options.privateKey,
    );
  };
}
