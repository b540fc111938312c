import { generateHeKeys } from "../../compute/he/keys.js";
import { HePool } from "../../compute/he/pool.js";
import { decryptScores, encryptScoringModel } from "../../compute/he/scoring.js";
import { modelDigest, plainScore, type ScoringModel } from "../../compute/he/scoring-model.js";
import { createMemoryDataStore, datasetFromRows } from "../../compute/node/memory-store.js";
import { featureBatches } from "../../compute/node/scoring.js";

const SLOTS = 4096;

/** 100,000 records of 16 features, column-packed into batches of 4,096 as an owner's node packs them. */
export function scoringWorkload(records: number, features: number) {
  let state = 7;
  const next = () => {
    state = (state * 48_271) % 2_147_483_647;
    return state / 2_147_483_647;
  };
  const rows = Array.from({ length: records }, () => Array.from({ length: features }, () => next() * 1_000));
  const batches: Float64Array[][] = [];
  for (let start = 0; start < records; start += SLOTS) {
    const part = rows.slice(start, start + SLOTS);
    batches.push(Array.from({ length: features }, (_, j) => Float64Array.from(part, (r) => r[j] as number)));
  }
  const model: ScoringModel = {
    features: Array.from({ length: features }, (_, j) => `f${j}`),
    weights: Array.from({ length: features }, (_, j) => ((j % 7) - 3) / 1_000),
    bias: 0.5,
    maxAbsScore: 100,
  };
  return { rows, batches, model };
}

/**
 * Scores the workload through a pool of `workers` SEAL threads, as a node does (each worker takes a
 * contiguous share of the batches and keeps the model loaded): the first run loads the model, the
 * timed runs reuse it. Returns the median wall time and the operator's decryption time.
 */
export async function measureScoring(
  workers: number,
  repeats: number,
  workload: ReturnType<typeof scoringWorkload>,
  epsilonMicro = 0,
) {
  const keys = await generateHeKeys("ckks-8192");
  const model = await encryptScoringModel(keys, workload.model);
  const digest = modelDigest(model);
  const pool = new HePool(workers);
  // Features in [0, 1000] with noise for ε over all of them, as a node sends them.
  const recipe = {
    divisor: 1,
    noise: [BigInt(1_000 * workload.model.features.length) * 1_000_000n, BigInt(Math.max(1, epsilonMicro))] as [
      bigint,
      bigint,
    ],
  };
  const chunk = Math.ceil(workload.batches.length / workers);
  const run = async () => {
    const parts = Array.from({ length: workers }, (_, w) => workload.batches.slice(w * chunk, (w + 1) * chunk));
    return (
      await Promise.all(
        parts.map((batches) =>
          pool.scoreBatches({
            digest,
            model,
            keys: { publicKey: keys.publicKey },
            // Copies: a recipe finishes its columns in place.
            batches: batches.map((columns) => columns.map((c) => c.slice())),
            ...(epsilonMicro > 0 ? { recipes: workload.model.features.map(() => recipe) } : {}),
          }),
        ),
      )
    ).flat();
  };
  try {
    let ciphertexts = await run();
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const started = performance.now();
      ciphertexts = await run();
      times.push(performance.now() - started);
    }
    const started = performance.now();
    const scores = await decryptScores(keys, ciphertexts, workload.rows.length, model.outputScale);
    const decryptMs = performance.now() - started;
    const maxError = Math.max(
      ...workload.rows.map((row, i) => Math.abs((scores[i] as number) - plainScore(workload.model, row))),
    );
    times.sort((a, b) => a - b);
    return {
      ms: times[Math.floor(times.length / 2)] as number,
      decryptMs,
      maxError,
      ciphertextBytes: ciphertexts[0]?.length ?? 0,
    };
  } finally {
    await pool.close();
  }
}

/** The same scores in plain JavaScript, for the ratio. */
export function plainScoringMs(workload: ReturnType<typeof scoringWorkload>): number {
  const started = performance.now();
  let checksum = 0;
  for (const row of workload.rows) checksum += plainScore(workload.model, row);
  if (Number.isNaN(checksum)) throw new Error("unreachable");
  return performance.now() - started;
}

/** What the owner's node does before any encryption: look up each id and pack its clamped features. */
export async function nodePreparationMs(workload: ReturnType<typeof scoringWorkload>): Promise<number> {
  const features = workload.model.features;
  const ids = workload.rows.map((_, i) => `E${i}`);
  const store = createMemoryDataStore([
    datasetFromRows(
      "ds_bench",
      [{ name: "id", type: "string" }, ...features.map((name) => ({ name, type: "integer" as const }))],
      workload.rows.map((row, i) => ({
        id: ids[i] as string,
        ...Object.fromEntries(features.map((f, j) => [f, Math.round(row[j] as number)])),
      })),
    ),
  ]);
  const bounds = Object.fromEntries(features.map((f) => [f, [0, 1_000] as [number, number]]));
  await store.entities("ds_bench", "id", ids.slice(0, 1), features); // build the id index once, as a running node has
  const started = performance.now();
  featureBatches(
    store,
    { features, epsilonMicro: 0, task: { datasetId: "ds_bench" } },
    { idField: "id", bounds, maxScoresPerId: 1 },
    await store.entities("ds_bench", "id", ids, features),
  );
  return performance.now() - started;
}
