import { generateHeKeys } from "../compute/he/keys.js";
import { HePool } from "../compute/he/pool.js";
import { addCiphertexts, decryptVector, encryptVector } from "../compute/he/vectors.js";
import { percentile, report } from "./report.js";

// Encrypted aggregation of three owners' 8,192-bucket vectors (BFV, n = 8192), each step timed:
// on one core (this thread), and on both (the worker pool of two). Encrypted scoring is not built
// yet, so `scoring_records_per_s` is not reported.
const repeats = Number(process.env.BENCH_HE_REPEATS ?? 20);
const BUCKETS = 8192;
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
const aggregate: number[] = [];
const plaintext: number[] = [];
let bytes = 0;
for (let i = 0; i < repeats; i++) {
  let ciphertexts: string[] = [];
  aggregate.push(
    await time(async () => {
      ciphertexts = [];
      for (const vector of vectors) {
        const started = performance.now();
        ciphertexts.push(await encryptVector("bfv-8192", keys.publicKey, vector));
        encrypt.push(performance.now() - started);
      }
      const added = performance.now();
      const total = await addCiphertexts("bfv-8192", ciphertexts);
      add.push(performance.now() - added);
      decrypt.push(await time(() => decryptVector("bfv-8192", keys.secretKey, total, BUCKETS)));
    }),
  );
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
report("he", "aggregate3_ms", median(aggregate), "ms", {
  ...context,
  cores: 1,
  bothCores: median(parallel),
  plaintextMs: median(plaintext),
  ratioToPlaintext: Number((median(aggregate) / median(plaintext)).toFixed(1)),
  note: "three encryptions, one addition of three ciphertexts (with their checks), one decryption; no network",
});
report("he", "encrypt_ms", median(encrypt), "ms", context);
report("he", "add_ms", median(add), "ms", {
  ...context,
  note: "loading and checking three ciphertexts, then two additions",
});
report("he", "decrypt_ms", median(decrypt), "ms", context);
report("he", "ciphertext_bytes", bytes, "bytes", { ...context, note: "SEAL's zstd-compressed serialisation" });
