import sodium from "sodium-native";
import { blindOwn, blindPeer, newBlindingKey } from "../compute/psi/blind.js";
import { PsiPool } from "../compute/psi/pool.js";
import { runPsi } from "../compute/psi/psi-ca.js";
import { report } from "./report.js";
import { psiSumParties } from "./support/psi-sum.js";

// ECDH-PSI: the group operation beside libsodium's native X25519 on one core, then PSI-CA of
// 2^PSI_BENCH_LOG2 × 2^PSI_BENCH_LOG2 identifiers (half of them shared) with both parties in this
// process sharing a pool of two worker threads, so both cores work.
const log2 = Number(process.env.PSI_BENCH_LOG2 ?? 20);
const size = 2 ** log2;
const SAMPLE = 20_000;

const key = newBlindingKey();
const points = blindOwn(
  Array.from({ length: SAMPLE }, (_, i) => `warm${i}`),
  newBlindingKey(),
);

let started = performance.now();
const out = Buffer.alloc(32);
for (let i = 0; i < SAMPLE; i++) sodium.crypto_scalarmult(out, key, points.subarray(i * 32, i * 32 + 32));
const nativeX25519 = (SAMPLE / (performance.now() - started)) * 1000;

started = performance.now();
blindPeer(points, key);
const groupOps = (SAMPLE / (performance.now() - started)) * 1000;

started = performance.now();
blindOwn(
  Array.from({ length: SAMPLE }, (_, i) => `id${i}`),
  key,
);
const hashAndBlind = (SAMPLE / (performance.now() - started)) * 1000;

report("psi", "native_x25519_per_s", nativeX25519, "ops/s", { cores: 1, library: "sodium-native (libsodium)" });
report("psi", "group_ops_per_s", groupOps, "ops/s", {
  cores: 1,
  ratioToNative: Number((groupOps / nativeX25519).toFixed(2)),
  note: "a peer's point checked (canonical, on the curve by a batched quadratic-residue test, not of small order) and raised with X25519",
});
report("psi", "hash_and_blind_per_s", hashAndBlind, "ids/s", {
  cores: 1,
  note: "RFC 9380 encode_to_curve (edwards25519, SHA-512, Elligator 2 by libsodium), Montgomery conversion batched, X25519",
});

const shared = size / 2;
const operator = Array.from({ length: size }, (_, i) => `A${i < shared ? `S${i}` : i}`);
const owner = Array.from({ length: size }, (_, i) => `A${i < shared ? `S${i}` : `B${i}`}`);
const pool = new PsiPool(2);
await pool.blindOwn(["warm"], key);
await pool.blindOwn(["warm"], key);
started = performance.now();
const result = await runPsi(operator, owner, "size", pool);
const seconds = (performance.now() - started) / 1000;
await pool.close();
if (result.size !== shared) throw new Error(`PSI-CA counted ${result.size}, expected ${shared}`);
report("psi", "psi_ca_s", seconds, "s", {
  log2,
  operatorItems: size,
  ownerItems: size,
  intersection: shared,
  cores: 2,
  note: "both parties in one process on a pool of two workers: hashing, four exponentiations per pair of items, shuffles, comparison",
});
const peakAfterCa = process.resourceUsage().maxRSS / 1024;

// PSI-sum on the same sets: the owner's column (value i at row i) summed over the intersection.
const sumPool = new PsiPool(2);
await sumPool.blindOwn(["warm"], key);
await sumPool.blindOwn(["warm"], key);
const values = Array.from({ length: size }, (_, i) => i % 1_000);
const parties = psiSumParties(owner, values, sumPool);
started = performance.now();
const sum = await parties.run(operator);
const sumSeconds = (performance.now() - started) / 1000;
await sumPool.close();
const expectedSum = values.slice(0, shared).reduce((a, b) => a + b, 0);
if (sum !== BigInt(expectedSum)) throw new Error(`PSI-sum released ${sum}, expected ${expectedSum}`);
report("psi", "psi_sum_s", sumSeconds, "s", {
  log2,
  operatorItems: size,
  ownerItems: size,
  intersection: shared,
  cores: 2,
  note: "the owner node's responder and the helper (compute/node) in one process, no HTTP: hashing, four exponentiations per pair, additive shares (2^128) sealed to the helper, shuffles, matching, the helper's release",
});
report("psi", "peak_rss_mb", Math.max(peakAfterCa, process.resourceUsage().maxRSS / 1024), "MiB", {
  log2,
  peakAfterPsiCa: Math.round(peakAfterCa),
  note: "the whole run: both parties' sets in memory at once (32 bytes a point, plus the lookup set; for the sum, 2 × 16 bytes of shares an entity and the owner's dataset)",
});
