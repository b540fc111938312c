import { generateHeKeys } from "../compute/he/keys.js";
import { HePool } from "../compute/he/pool.js";
import { addCiphertexts, decryptVector, encryptVector } from "../compute/he/vectors.js";
import { percentile, report } from "./report.js";
import { measureScoring, nodePreparationMs, plainScoringMs, scoringWorkload } from "./support/he-scoring.js";

// Encrypted aggregation of three owners' 8,192-bucket vectors (BFV, n = 8192), each step timed, on
// one core (this thread) and on both (the worker pool of two); and encrypted scoring of 100,000
// records of 16 features with a linear model (CKKS, n = 8192, column packing) on one worker and on two.
const repeats = Number(process.env.BENCH_HE_REPEATS ?? 20);
const scoringRecords = Number(process.env.BENCH_HE_SCORING_RECORDS ?? 100_000);
const BUCKETS = 8192;
const FEATURES = 16;
const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
const time = async (f: () => Promise<unknown>) => {
  const started = performance.now();
  await f();
  return performance.now() - started;
};

const keys = await generateHeKeys("bfv-8192");
const vectors = [1, 2, 3].map((seed) =>
  Array.from({ length: BUCKETS }, (_, i) => BigInt((i * 7919 + seed * 104_729) % 1_000)),
);
await encryptVector("bfv-8192", keys.publicKey, vectors[0] as bigint[]); // load SEAL, warm up

const encrypt: number[] = [];
const add: number[] = [];
const decrypt: number[] = [];
const serial: number[] = [];
const criticalPath: number[] = [];
const plaintext: number[] = [];
let bytes = 0;
for (let i = 0; i < repeats; i++) {
  let ciphertexts: string[] = [];
  const encrypts: number[] = [];
  let added = 0;
  let opened = 0;
  serial.push(
    await time(async () => {
      ciphertexts = [];
      for (const vector of vectors) {
        const started = performance.now();
        ciphertexts.push(await encryptVector("bfv-8192", keys.publicKey, vector));
        encrypts.push(performance.now() - started);
      }
      let total = "";
      added = await time(async () => {
        total = await addCiphertexts("bfv-8192", ciphertexts);
      });
      opened = await time(() => decryptVector("bfv-8192", keys.secretKey, total, BUCKETS));
    }),
  );
  encrypt.push(...encrypts);
  add.push(added);
  decrypt.push(opened);
  // Each owner encrypts on its own node at the same time: the operator waits for the slowest, then the sum.
  criticalPath.push(Math.max(...encrypts) + added + opened);
  bytes = Math.round(((ciphertexts[0] as string).length * 3) / 4);
  plaintext.push(await time(async () => vectors.reduce((sum, v) => sum.map((x, j) => x + (v[j] as bigint)))));
}

const pool = new HePool(2);
await pool.encryptVector("bfv-8192", keys.publicKey, [1n]); // load SEAL in both workers
await pool.encryptVector("bfv-8192", keys.publicKey, [1n]);
const parallel: number[] = [];
for (let i = 0; i < repeats; i++) {
  parallel.push(
    await time(async () => {
      const ciphertexts = await Promise.all(vectors.map((v) => pool.encryptVector("bfv-8192", keys.publicKey, v)));
      const total = await pool.addCiphertexts("bfv-8192", ciphertexts);
      await decryptVector("bfv-8192", keys.secretKey, total, BUCKETS);
    }),
  );
}
await pool.close();

const context = { parameterSet: "bfv-8192", buckets: BUCKETS, owners: 3, repeats };
report("he", "aggregate3_ms", median(criticalPath), "ms", {
  ...context,
  oneCoreSerialMs: median(serial),
  bothCoresMs: median(parallel),
  plaintextMs: median(plaintext),
  ratioToPlaintext: Number((median(criticalPath) / median(plaintext)).toFixed(1)),
  note: "the owners encrypt at once on their own nodes: the slowest encryption, then the checked addition of three ciphertexts, then the decryption; no network. oneCoreSerialMs: all three encryptions one after another on this thread; bothCoresMs: through the pool of two workers",
});
report("he", "encrypt_ms", median(encrypt), "ms", context);
report("he", "add_ms", median(add), "ms", {
  ...context,
  note: "loading and checking three ciphertexts, two additions, saving the sum",
});
report("he", "decrypt_ms", median(decrypt), "ms", context);
report("he", "ciphertext_bytes", bytes, "bytes", { ...context, note: "SEAL's uncompressed serialisation" });

const workload = scoringWorkload(scoringRecords, FEATURES);
const scoringRepeats = Math.max(3, Math.min(repeats, 5));
const oneCore = await measureScoring(1, scoringRepeats, workload);
const bothCores = await measureScoring(2, scoringRepeats, workload);
const plainMs = plainScoringMs(workload);
const preparationMs = await nodePreparationMs(workload);
const withNoise = await measureScoring(2, scoringRepeats, workload, 1_000_000);
const scoringContext = {
  parameterSet: "ckks-8192",
  records: scoringRecords,
  features: FEATURES,
  model: "linear",
  repeats: scoringRepeats,
};
report("he", "scoring_records_per_s", (scoringRecords / bothCores.ms) * 1000, "records/s", {
  ...scoringContext,
  cores: 2,
  ms: Math.round(bothCores.ms),
  oneCoreRecordsPerS: Math.round((scoringRecords / oneCore.ms) * 1000),
  oneCoreMs: Math.round(oneCore.ms),
  plaintextMs: Number(plainMs.toFixed(2)),
  ratioToPlaintext: Math.round(bothCores.ms / plainMs),
  operatorDecryptMs: Math.round(bothCores.decryptMs),
  maxAbsError: bothCores.maxError,
  scoreCiphertextBytes: Math.round((bothCores.ciphertextBytes * 3) / 4),
  nodePreparationMs: Math.round(preparationMs),
  withNoiseRecordsPerS: Math.round((scoringRecords / withNoise.ms) * 1000),
  note: "per 4,096 records: 16 encodes and multiply-plains, a rescale, a fresh encryption of zero, a save; through the worker pool with the model already loaded; features without noise (ε = 0). nodePreparationMs: looking up the ids and packing the clamped features on the node's main thread; withNoiseRecordsPerS: the same scoring with discrete Laplace noise sampled in the workers on every feature (ε = 1)",
});
