import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import sodium from "sodium-native";
import { openDataStore } from "../compute/node/sources.js";
import { blindOwn, blindPeer, newBlindingKey } from "../compute/psi/blind.js";
import { PsiPool } from "../compute/psi/pool.js";
import { privateSetIntersection } from "../sdk/psi.js";
import { BENCH_DATASET, psiDataset, psiParties } from "../test/support/psi-parties.js";
import { report } from "./report.js";

// ECDH-PSI: the group operation beside libsodium's native X25519 on one core, then PSI-CA of
// 2^PSI_BENCH_LOG2 × 2^PSI_BENCH_LOG2 identifiers (half of them shared) with both parties in this
// process sharing a pool of two worker threads, so both cores work. PSI_BENCH_OWNER=parquet reads the
// owner's set from a Parquet file through the node's DuckDB, as a deployed node does, instead of an
// in-memory column, so that the process holds only the operator's input besides the protocol.
const log2 = Number(process.env.PSI_BENCH_LOG2 ?? 20);
const size = Number(process.env.PSI_BENCH_ITEMS ?? 2 ** log2);
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

// Both sets, half shared, and the owner's dataset as its node holds it (ids and one integer column).
const shared = Math.floor(size / 2);
const operator = Array.from({ length: size }, (_, i) => `A${i < shared ? `S${i}` : i}`);
const values = Float64Array.from({ length: size }, (_, i) => i % 1_000);
const ownerSource = process.env.PSI_BENCH_OWNER === "parquet" ? "parquet" : "memory";

/** The same owner rows as a Parquet file, made once per size by DuckDB. */
async function ownerParquet(): Promise<string> {
  const dir = "/tmp/sluice-bench-psi";
  const file = path.join(dir, `owner_${size}.parquet`);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  const instance = await DuckDBInstance.create(":memory:", { threads: "2", memory_limit: "1GB", temp_directory: dir });
  const connection = await instance.connect();
  await connection.run(
    `COPY (SELECT 'A' || CASE WHEN i < ${shared} THEN 'S' || i ELSE 'B' || i END AS id, CAST(i % 1000 AS BIGINT) AS value FROM range(${size}) t(i)) TO '${file}.partial' (FORMAT parquet)`,
  );
  connection.closeSync();
  instance.closeSync();
  execFileSync("mv", [`${file}.partial`, file]);
  return file;
}
const dataset =
  ownerSource === "memory"
    ? psiDataset(
        Array.from({ length: size }, (_, i) => `A${i < shared ? `S${i}` : `B${i}`}`),
        values,
      )
    : openDataStore({
        workDirectory: "/tmp/sluice-bench-psi/work",
        sources: { maxConnections: 2, statementTimeoutMs: 3_600_000, duckdbThreads: 1, duckdbMemoryLimit: "256MB" },
        datasets: [
          {
            id: BENCH_DATASET,
            files: { path: await ownerParquet(), format: "parquet", encoding: "utf-8", delimiter: "," },
            columns: [
              { name: "id", type: "string", level: 1 },
              { name: "value", type: "integer", level: 1 },
            ],
          },
        ],
      });
const pool = new PsiPool(2);
await pool.blindOwn(["warm"], key);
await pool.blindOwn(["warm"], key);
const parties = psiParties(dataset, pool);
const peak = () => process.resourceUsage().maxRSS / 1024;
const rssBefore = peak();

const job = {
  scenarioId: "scn_bench",
  datasetId: BENCH_DATASET,
  idField: "id",
  idKind: "text",
  ids: operator,
} as const;
const sets = {
  log2: Number(Math.log2(size).toFixed(2)),
  operatorItems: size,
  ownerItems: size,
  intersection: shared,
  ownerSource,
};
// The work no PSI-CA design can skip, at this run's rates on two busy cores: every identifier of
// both sides hashed to the group and raised, and every point raised once more by the other side.
const floorSeconds = (2 * size) / hashAndBlind / 2 + (2 * size) / groupOps / 2;
started = performance.now();
const result = await privateSetIntersection(parties.client(), job, { pool });
const seconds = (performance.now() - started) / 1000;
if (result.size !== shared) throw new Error(`PSI-CA counted ${result.size}, expected ${shared}`);
report("psi", "psi_ca_floor_s", floorSeconds, "s", {
  ...sets,
  cores: 2,
  note: "2n identifiers hashed and raised at hash_and_blind_per_s, 2n points raised at group_ops_per_s, on two cores",
});
report("psi", "psi_ca_s", seconds, "s", {
  ...sets,
  cores: 2,
  ratioToFloor: Number((seconds / floorSeconds).toFixed(3)),
  target: "< 1.25 × psi_ca_floor_s",
  note: "the operator's SDK and the owner node's responder in one process sharing two workers, no HTTP: paging, hashing, four exponentiations per pair of items, chunks spilled to disk and compared a bucket at a time",
});
const peakAfterCa = peak();

if (process.env.PSI_BENCH_SUM !== "0") {
  started = performance.now();
  const summed = await privateSetIntersection(
    parties.client(),
    { ...job, output: "sum", value: { field: "value", min: 0, max: 1_000_000 } },
    { pool },
  );
  const sumSeconds = (performance.now() - started) / 1000;
  let expectedSum = 0;
  for (let i = 0; i < shared; i++) expectedSum += values[i] as number;
  if (summed.sum !== expectedSum) throw new Error(`PSI-sum released ${summed.sum}, expected ${expectedSum}`);
  report("psi", "psi_sum_s", sumSeconds, "s", {
    ...sets,
    cores: 2,
    note: "as psi_ca_s, plus the shares (a seed's AES-CTR keystream for the helper), the owner's answers paged back sorted, the matching and the helper's release",
  });
}
await pool.close();
report("psi", "peak_rss_mb", peak(), "MiB", {
  log2: sets.log2,
  beforeProtocolMb: Math.round(rssBefore),
  afterPsiCaMb: Math.round(peakAfterCa),
  ownerSource,
  note:
    ownerSource === "memory"
      ? "the whole process: both parties' inputs (the operator's ids, the owner's dataset in memory) plus the protocol's chunks and one bucket of each compared set; the sets themselves are on disk"
      : "the whole process: the operator's ids in memory, the owner's set streamed from Parquet through DuckDB, the protocol's chunks and one bucket of each compared set; the sets themselves are on disk",
});
