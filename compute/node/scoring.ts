import type { KeyObject } from "node:crypto";
import { SluiceError } from "../../lib/errors.js";
import type { HePool } from "../he/pool.js";
import type { FeatureRecipe } from "../he/scoring.js";
import { idsDigest, modelDigest, SCORES_PER_CIPHERTEXT } from "../he/scoring-model.js";
import type { OwnerTask } from "../protocol.js";
import {
  type EncryptedScores,
  type HoldingsRequest,
  keyDigest,
  type ScoringHoldings,
  type ScoringPlan,
  type ScoringRequest,
  signEncryptedScores,
  signScoringHoldings,
  verifyScoringPlan,
} from "../scoring/protocol.js";
import { type ApprovalCheckContext, outsideTerms } from "./approval-check.js";
import { type HeldEntities, type NodeDataStore, scaleOf } from "./datastore.js";
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
 * Each feature the plan names, checked against the node's dataset and its owner's settings: numeric,
 * with bounds, which it returns in the field's fixed point with the field's divisor.
 */
export function scorableFeatures(
  store: NodeDataStore,
  datasetId: string,
  features: readonly string[],
  settings: ScoringSettings,
): { feature: string; divisor: number; low: number; high: number }[] {
  const columns = store.describe(datasetId)?.columns ?? [];
  return features.map((feature) => {
    const spec = columns.find((c) => c.name === feature);
    if (!spec || spec.type === "string") throw refuse(`${datasetId}.${feature} is not a numeric field of this node`);
    const bounds = settings.bounds[feature];
    if (!bounds)
      throw refuse(`the owner set no bounds for ${datasetId}.${feature}, so this node does not score with it`);
    const divisor = scaleOf(spec.type);
    return { feature, divisor, low: Math.round(bounds[0] * divisor), high: Math.round(bounds[1] * divisor) };
  });
}

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
  entities: HeldEntities,
): { batches: Float64Array[][]; recipes: FeatureRecipe[] } {
  const datasetId = plan.task.datasetId;
  const m = plan.features.length;
  const count = entities.fields[0]?.length ?? 0;
  const batches: Float64Array[][] = [];
  for (let start = 0; start < count; start += SCORES_PER_CIPHERTEXT) {
    batches.push(plan.features.map(() => new Float64Array(Math.min(SCORES_PER_CIPHERTEXT, count - start))));
  }
  const specs = scorableFeatures(store, datasetId, plan.features, settings);
  const recipes = specs.map(({ divisor, low, high }, j): FeatureRecipe => {
    const values = entities.fields[j] as Float64Array;
    for (let i = 0; i < count; i++) {
      (batches[Math.floor(i / SCORES_PER_CIPHERTEXT)]?.[j] as Float64Array)[i % SCORES_PER_CIPHERTEXT] = Math.min(
        high,
        Math.max(low, values[i] as number),
      );
    }
    return {
      divisor,
      noise:
        plan.epsilonMicro > 0 ? [BigInt(Math.max(1, high - low) * m) * 1_000_000n, BigInt(plan.epsilonMicro)] : null,
    };
  });
  return { batches, recipes };
}

/** A vertical score's first stage at this node, kept until its second: what it asked and which ids are held. */
interface PendingHoldings {
  scenarioId: string;
  datasetId: string;
  modelDigest: string;
  features: string;
  /** The ids held, in the order asked, and their features: a score stage asking exactly these reuses them. */
  heldIds: string[];
  heldFields: Float64Array[];
  held: Set<string>;
  expiresAt: number;
}

const MAX_PENDING_HOLDINGS = 64;

/** Answers a gateway's scoring and holdings requests, or throws the reason this node refuses one. */
export function createScorer(options: ScorerOptions) {
  const pending = new Map<string, PendingHoldings>();

  function checkPlan(plan: ScoringPlan, signature: string, ids: readonly string[]) {
    const task = admitPlan(verifyScoringPlan(plan, signature, options.gatewayPublicKey), plan, {
      ...options,
      now: options.now(),
    });
    if (ids.length !== plan.idCount || idsDigest(ids) !== plan.idsDigest) {
      throw new SluiceError("validation_failed", "the ids are not the ones the gateway signed");
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
    // Every feature is checked before anything is spent: a field without bounds fails here.
    scorableFeatures(options.store, task.datasetId, plan.features, settings);
    return { settings, task };
  }

  function checkPayload(request: ScoringRequest) {
    const { plan } = request;
    if (modelDigest(request.model) !== plan.modelDigest || request.model.kind !== plan.modelKind) {
      throw new SluiceError("validation_failed", "the model is not the one the gateway signed");
    }
    if (
      keyDigest(request.keys.publicKey) !== plan.he.publicKeyDigest ||
      (request.keys.relinKeys ? keyDigest(request.keys.relinKeys) : undefined) !== plan.he.relinKeysDigest
    ) {
      throw new SluiceError("validation_failed", "the keys are not the ones the gateway signed");
    }
  }

  /** The first stage of a vertical score: which of the ids this node holds. It counts as the job's query here. */
  async function holdings(request: HoldingsRequest): Promise<ScoringHoldings> {
    const { plan } = request;
    if (plan.vertical?.stage !== "holdings") {
      throw new SluiceError("validation_failed", "this plan is not the holdings stage of a vertical score");
    }
    if (plan.modelKind !== "linear") throw refuse("only a linear model is scored in parts");
    const { task } = checkPlan(plan, request.signature, request.ids);
    const job = { jobId: plan.jobId, epsilonMicro: plan.epsilonMicro };
    options.spend.check(plan.terms, job);
    options.spend.take(plan.terms, job);
    const looked = await options.store.entities(task.datasetId, plan.idField, request.ids, plan.features);
    const now = options.now().getTime();
    for (const [jobId, entry] of pending) if (entry.expiresAt <= now) pending.delete(jobId);
    if (pending.size >= MAX_PENDING_HOLDINGS) pending.delete(pending.keys().next().value as string);
    const heldIds = request.ids.filter((_, i) => looked.held[i] === 1);
    pending.set(plan.jobId, {
      scenarioId: plan.scenarioId,
      datasetId: task.datasetId,
      modelDigest: plan.modelDigest,
      features: plan.features.join(","),
      heldIds,
      heldFields: looked.fields,
      held: new Set(heldIds),
      expiresAt: Date.parse(plan.expiresAt),
    });
    const missing = request.ids.filter((_, i) => looked.held[i] !== 1);
    return signScoringHoldings({ jobId: plan.jobId, nodeId: options.nodeId, missing }, options.privateKey);
  }

  /**
   * A vertical score's second stage must follow its first, here, for the same part and only held
   * ids. Returns the ids' features when they are exactly the ids held (the first stage looked them up).
   */
  function takeHoldings(plan: ScoringPlan, datasetId: string, ids: readonly string[]): HeldEntities | undefined {
    const entry = pending.get(plan.jobId);
    if (
      !entry ||
      entry.expiresAt <= options.now().getTime() ||
      entry.scenarioId !== plan.scenarioId ||
      entry.datasetId !== datasetId ||
      entry.modelDigest !== plan.modelDigest ||
      entry.features !== plan.features.join(",")
    ) {
      throw refuse(`job ${plan.jobId} asked this node for no holdings of this part first (or they expired)`);
    }
    const unheld = ids.find((id) => !entry.held.has(id));
    if (unheld !== undefined) throw refuse(`id ${unheld} is not among the ids this node said it holds`);
    pending.delete(plan.jobId);
    const same = ids.length === entry.heldIds.length && ids.every((id, i) => id === entry.heldIds[i]);
    return same ? { held: new Uint8Array(ids.length).fill(1), fields: entry.heldFields } : undefined;
  }

  async function score(request: ScoringRequest): Promise<EncryptedScores> {
    const { plan } = request;
    if (plan.vertical?.stage === "holdings") {
      throw new SluiceError("validation_failed", "a holdings plan asks which ids are held; it scores nothing");
    }
    // Left out, the ids are the ones this node said it holds; the plan's digest must name exactly them.
    const ids = request.ids ?? pending.get(plan.jobId)?.heldIds;
    if (!ids) throw refuse(`job ${plan.jobId} asked this node for no holdings of this part first (or they expired)`);
    const { settings, task } = checkPlan(plan, request.signature, ids);
    checkPayload(request);
    const looked = plan.vertical ? takeHoldings(plan, task.datasetId, ids) : undefined;
    const entities = looked ?? (await options.store.entities(task.datasetId, plan.idField, ids, plan.features));
    const { batches, recipes } = featureBatches(options.store, { ...plan, task }, settings, entities);
    // Counted before anything is computed: a failure after this point spends the score, never refunds it.
    if (plan.vertical) {
      options.quota.take(plan.scenarioId, ids, settings.maxScoresPerId);
    } else {
      const job = { jobId: plan.jobId, epsilonMicro: plan.epsilonMicro };
      options.spend.check(plan.terms, job);
      options.quota.take(plan.scenarioId, ids, settings.maxScoresPerId);
      options.spend.take(plan.terms, job);
    }
    const pool = options.pool();
    const chunk = Math.max(1, Math.ceil(batches.length / pool.size));
    const parts: Float64Array[][][] = [];
    for (let i = 0; i < batches.length; i += chunk) parts.push(batches.slice(i, i + chunk));
    const digest = plan.modelDigest;
    const withoutBias = plan.vertical ? !plan.vertical.addsBias : false;
    const ciphertexts = (
      await Promise.all(
        parts.map((part) =>
          pool.scoreBatches({ digest, model: request.model, keys: request.keys, batches: part, recipes, withoutBias }),
        ),
      )
    ).flat();
    return signEncryptedScores(
      {
        jobId: plan.jobId,
        nodeId: options.nodeId,
        scored: entities.held.reduce((n, h) => n + h, 0),
        missing: ids.filter((_, i) => entities.held[i] !== 1),
        ciphertexts,
      },
      options.privateKey,
    );
  }

  return { score, holdings };
}
