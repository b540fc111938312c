import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { generateHeKeys } from "../compute/he/keys.js";
import { HePool } from "../compute/he/pool.js";
import { decryptScores, encryptScoringModel } from "../compute/he/scoring.js";
import {
  type EncryptedModel,
  idsDigest,
  partModels,
  plainScore,
  type ScoringModel,
} from "../compute/he/scoring-model.js";
import { postToNode } from "../compute/mpc/secure-aggregate.js";
import type { OwnerTask } from "../compute/protocol.js";
import {
  encryptedScoresSchema,
  type ScoringPlan,
  scoringHoldingsSchema,
  signScoringPlan,
} from "../compute/scoring/protocol.js";
import { scoringPlanOf } from "../gateway/jobs/run-scoring.js";
import { freeLoopbackPort, type NodeProcess, spawnComputeNode } from "../gateway/node-processes.js";
import { type ScenarioTerms, signApproval } from "../lib/approvals.js";
import { generateEd25519KeyPair } from "../lib/ed25519.js";
import type { HeKeysRow } from "../store/index.js";
import { report } from "./report.js";
import { measureScoring, scoringWorkload } from "./support/he-scoring.js";

// Vertical encrypted scoring: VERTICAL_BENCH_IDS ids (default 100,000) scored with one linear model
// over VERTICAL_BENCH_FEATURES features (default 8) at each of two owners' nodes, each its own
// process over HTTP on loopback. The bench plays the gateway: it asks each node for its holdings,
// then for its part of the scores, and adds the parts in its own SEAL workers. The limit, in the
// same run: the same scoring of all the features at one owner, in process, on both cores — the
// encodes, products and re-randomisation no vertical design can skip.

const idCount = Number(process.env.VERTICAL_BENCH_IDS ?? 100_000);
const perOwner = Number(process.env.VERTICAL_BENCH_FEATURES ?? 8);
const machine = { cpus: cpus().length, cpu: cpus()[0]?.model.split(" ").slice(0, 2).join(" ") };
const owners = [0, 1];
const ids = Array.from({ length: idCount }, (_, i) => `E${String(i).padStart(9, "0")}`);
const workload = scoringWorkload(idCount, perOwner * owners.length);
const features = (owner: number) => Array.from({ length: perOwner }, (_, j) => `f${owner * perOwner + j}`);
const model: ScoringModel = { ...workload.model };

const dir = mkdtempSync(path.join(tmpdir(), "sluice-bench-vertical-"));
const gateway = generateEd25519KeyPair();
const now = Date.now();
const nodeKeys = owners.map(() => generateEd25519KeyPair());
const ownerKeys = owners.map(() => generateEd25519KeyPair());
const terms: ScenarioTerms = {
  scenarioId: "sc_bench",
  operatorId: "bank",
  fields: owners.flatMap((o) => ["uscc", ...features(o)].map((f) => `ds_owner_${o}.${f}`)).sort(),
  computeModes: ["he"],
  queryShapes: ["he-score"],
  minGroupSize: 1,
  epsilonPerQueryMicro: 0,
  epsilonBudgetMicro: 0,
  queryQuota: 100,
  validFrom: new Date(now - 60_000).toISOString(),
  validUntil: new Date(now + 86_400_000).toISOString(),
};

async function startNode(owner: number): Promise<NodeProcess> {
  const id = `owner_${owner}`;
  const names = features(owner);
  // Integer features: the workload's values rounded, as a department's records would hold them.
  const lines = [
    ["uscc", ...names].join(","),
    ...workload.rows.map((row, i) =>
      [ids[i], ...names.map((_, j) => Math.round(row[owner * perOwner + j] as number))].join(","),
    ),
  ];
  writeFileSync(path.join(dir, `${id}.csv`), `${lines.join("\n")}\n`);
  writeFileSync(path.join(dir, `${id}.pem`), (nodeKeys[owner] as { privateKeyPem: string }).privateKeyPem);
  const config = {
    nodeId: `node_${id}`,
    ownerId: id,
    port: await freeLoopbackPort(),
    keyFile: `${id}.pem`,
    gatewayPublicKey: gateway.publicKey,
    spendLedgerFile: `${id}.spend.jsonl`,
    peers: [],
    ownerPublicKeys: [(ownerKeys[owner] as { publicKey: string }).publicKey],
    datasets: [
      {
        id: `ds_${id}`,
        file: `${id}.csv`,
        scoring: {
          idField: "uscc",
          bounds: Object.fromEntries(names.map((n) => [n, [0, 1_000]])),
          maxScoresPerId: 1_000,
        },
        columns: [
          { name: "uscc", type: "string", level: 1 },
          ...names.map((name) => ({ name, type: "integer", level: 1 })),
        ],
      },
    ],
  };
  writeFileSync(path.join(dir, `${id}.json`), JSON.stringify(config));
  return spawnComputeNode(path.join(dir, `${id}.json`));
}

const nodes = await Promise.all(owners.map(startNode));
const pool = new HePool(2);
try {
  const keys = await generateHeKeys("ckks-8192");
  const keysRow = { id: "hek_bench", publicKey: keys.publicKey } as HeKeysRow;
  const encrypted = await encryptScoringModel(keys, { ...model, features: owners.flatMap(features) });
  const parts = partModels(
    encrypted,
    owners.map((o) => ({ features: features(o) })),
  );
  const task = (o: number): OwnerTask => ({
    role: "owner",
    nodeId: `node_owner_${o}`,
    url: (nodes[o] as NodeProcess).url,
    publicKey: (nodeKeys[o] as { publicKey: string }).publicKey,
    encryptionKey: (nodes[o] as NodeProcess).encryptionKey,
    datasetId: `ds_owner_${o}`,
    field: "uscc",
    approval: {
      kind: "signed",
      ownerId: `owner_${o}`,
      signature: signApproval(`owner_${o}`, terms, (ownerKeys[o] as { privateKeyPem: string }).privateKeyPem),
    },
  });
  // One list, one digest for every plan, as the gateway computes it.
  const digest = idsDigest(ids);
  const planFor = (jobId: string, o: number, stage: "holdings" | "score"): ScoringPlan =>
    scoringPlanOf({
      jobId,
      scenarioId: terms.scenarioId,
      keys: keysRow,
      idField: "uscc",
      features: features(o),
      model: parts[o] as EncryptedModel,
      ids,
      idsDigest: digest,
      epsilonMicro: 0,
      decisionHash: "b".repeat(64),
      requestId: undefined,
      terms,
      task: task(o),
      vertical: { stage, parts: owners.length, addsBias: o === 0 },
      issuedAt: new Date(),
      lifetimeMs: 600_000,
    });
  const post = (o: number, route: string, body: object) =>
    postToNode(task(o), route, JSON.stringify(body), { timeoutMs: 600_000 }, new AbortController().signal);

  /** One vertical score of every id, as the gateway runs it; returns the stages' times and the sums. */
  async function scoreOnce(jobId: string) {
    const started = performance.now();
    const holdings = await Promise.all(
      owners.map(async (o) =>
        scoringHoldingsSchema.parse(
          await post(o, "/scores/holdings", {
            ...signScoringPlan(planFor(jobId, o, "holdings"), gateway.privateKeyPem),
            ids,
          }),
        ),
      ),
    );
    if (holdings.some((h) => h.missing.length > 0)) throw new Error("every owner holds every id here");
    const held = performance.now();
    const answers = await Promise.all(
      owners.map(async (o) =>
        encryptedScoresSchema.parse(
          await post(o, "/scores", {
            ...signScoringPlan(planFor(jobId, o, "score"), gateway.privateKeyPem),
            keys: { publicKey: keys.publicKey },
            model: parts[o],
            // Every id is held by both: the plan's digest names them, as the gateway does then.
          }),
        ),
      ),
    );
    const scored = performance.now();
    const sums = await pool.addPartialScores(answers.map((a) => a.ciphertexts));
    const ended = performance.now();
    return { ms: ended - started, holdingsMs: held - started, scoringMs: scored - held, addMs: ended - scored, sums };
  }

  await scoreOnce("job_warm"); // loads SEAL and the model in every worker, as a running node has
  const runs = [];
  for (let i = 0; i < 3; i++) runs.push(await scoreOnce(`job_${i}`));
  runs.sort((a, b) => a.ms - b.ms);
  const median = runs[1] as (typeof runs)[number];
  const scores = await decryptScores(keys, median.sums, idCount, encrypted.outputScale);
  const rounded = workload.rows.map((row) => row.map((x) => Math.round(x)));
  const maxError = Math.max(...rounded.map((row, i) => Math.abs((scores[i] as number) - plainScore(model, row))));
  if (!(maxError < 1e-3)) throw new Error(`the vertical scores are off the plaintext by ${maxError}`);
  await pool.close();

  const floor = await measureScoring(2, 3, workload);
  const perS = (idCount / median.ms) * 1000;
  const shape = { ids: idCount, owners: owners.length, featuresPerOwner: perOwner, model: "linear", machine };
  report("join", "vertical_scores_per_s", perS, "scores/s", {
    ...shape,
    ms: Math.round(median.ms),
    holdingsMs: Math.round(median.holdingsMs),
    scoringMs: Math.round(median.scoringMs),
    gatewayAddMs: Math.round(median.addMs),
    maxAbsError: maxError,
    transport: "HTTP on loopback, one process per owner node, the bench as gateway; median of 3",
  });
  report("join", "vertical_floor_scores_per_s", (idCount / floor.ms) * 1000, "scores/s", {
    ...shape,
    ms: Math.round(floor.ms),
    what: `all ${perOwner * owners.length} features at one owner, in process, two SEAL workers, no network: the floor`,
  });
  report("join", "vertical_over_floor", median.ms / floor.ms, "ratio", {});
} finally {
  await pool.close().catch(() => {});
  await Promise.all(nodes.map((n) => n.stop()));
  rmSync(dir, { recursive: true, force: true });
}
