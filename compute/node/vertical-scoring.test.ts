import { createPrivateKey } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ScenarioTerms, signApproval } from "../../lib/approvals.js";
import { generateEd25519KeyPair } from "../../lib/ed25519.js";
import { generateHeKeys, type HeKeyFile } from "../he/keys.js";
import { HePool } from "../he/pool.js";
import { decryptScores, encryptScoringModel } from "../he/scoring.js";
import {
  type EncryptedModel,
  idsDigest,
  modelDigest,
  partModels,
  plainScore,
  type ScoringModel,
} from "../he/scoring-model.js";
import {
  type HoldingsRequest,
  keyDigest,
  type ScoringPlan,
  type ScoringRequest,
  signScoringPlan,
  verifyScoringHoldings,
} from "../scoring/protocol.js";
import { createMemoryDataStore, datasetFromRows } from "./memory-store.js";
import { ScoreQuota } from "./score-quota.js";
import { createScorer, type ScoringSettings } from "./scoring.js";
import { SpendLedger } from "./spend-ledger.js";

const gateway = generateEd25519KeyPair();
const ids = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `E${String(from + i).padStart(4, "0")}`);
// The tax bureau holds E0000–E0079, social insurance E0020–E0099: 60 enterprises in both.
const taxRows = ids(0, 80).map((uscc, i) => ({ uscc, employees: 5 + i, tax_paid: 1_000 + 17 * i }));
const socialRows = ids(20, 100).map((uscc, i) => ({ uscc, insured: 3 + ((i * 7) % 50) }));

/** One owner: its node key, its owner key, its dataset and its own scoring limits. */
function owner(
  name: string,
  dataset: string,
  columns: { name: string; type: "integer" }[],
  rows: object[],
  bounds: ScoringSettings["bounds"],
) {
  return {
    name,
    dataset,
    ownerId: `owner_${name}`,
    node: generateEd25519KeyPair(),
    ownerKeys: generateEd25519KeyPair(),
    store: createMemoryDataStore([
      datasetFromRows(
        dataset,
        [{ name: "uscc", type: "string", level: 1 }, ...columns.map((c) => ({ ...c, level: 2 }))],
        rows as never,
      ),
    ]),
    settings: { idField: "uscc", bounds, maxScoresPerId: 2 } satisfies ScoringSettings,
    features: columns.map((c) => c.name),
  };
}
const tax = owner(
  "tax",
  "ds_tax",
  [
    { name: "employees", type: "integer" },
    { name: "tax_paid", type: "integer" },
  ],
  taxRows,
  {
    employees: [0, 1_000],
    tax_paid: [0, 100_000],
  },
);
const social = owner("social", "ds_social", [{ name: "insured", type: "integer" }], socialRows, {
  insured: [0, 1_000],
});
type Owner = typeof tax;

const model: ScoringModel = {
  features: ["employees", "tax_paid", "insured"],
  weights: [0.25, 0.001, -0.5],
  bias: 3,
};
const terms: ScenarioTerms = {
  scenarioId: "scn_v",
  operatorId: "bank",
  fields: ["ds_social.insured", "ds_social.uscc", "ds_tax.employees", "ds_tax.tax_paid", "ds_tax.uscc"],
  computeModes: ["he"],
  queryShapes: ["he-score"],
  minGroupSize: 10,
  epsilonPerQueryMicro: 2_000_000,
  epsilonBudgetMicro: 1_000_000_000,
  queryQuota: 1_000,
  validFrom: "2020-01-01T00:00:00.000Z",
  validUntil: "2099-01-01T00:00:00.000Z",
};

describe("vertical scoring: one model over two owners' features, each weighing its own, added encrypted", () => {
  let keys: HeKeyFile;
  let encrypted: EncryptedModel;
  let parts: EncryptedModel[];
  let pool: HePool;
  let jobs = 0;
  beforeAll(async () => {
    keys = await generateHeKeys("ckks-8192");
    encrypted = await encryptScoringModel(keys, model);
    parts = partModels(encrypted, [tax, social]);
    pool = new HePool(1);
  }, 60_000);
  afterAll(async () => {
    await pool.close();
  });

  function scorerOf(o: Owner, quota = new ScoreQuota()) {
    return createScorer({
      nodeId: `node_${o.name}`,
      privateKey: createPrivateKey(o.node.privateKeyPem),
      publicKey: o.node.publicKey,
      gatewayPublicKey: gateway.publicKey,
      store: o.store,
      scoring: { [o.dataset]: o.settings },
      quota,
      spend: new SpendLedger(),
      pool: () => pool,
      approval: {
        ownerId: o.ownerId,
        ownerPublicKeys: [o.ownerKeys.publicKey],
        holds: (id) => id === o.dataset,
        levelOf: (_d, field) => (field === "uscc" ? 1 : 2),
        noiseFromLevel: 3,
      },
      now: () => new Date(),
    });
  }

  function plan(
    o: Owner,
    index: number,
    stage: "holdings" | "score",
    list: string[],
    jobId: string,
    edit?: (p: ScoringPlan) => void,
  ) {
    const p: ScoringPlan = {
      version: 2,
      kind: "score",
      jobId,
      scenarioId: terms.scenarioId,
      he: { keysId: "hek_1", paramSet: "ckks-8192", publicKeyDigest: keyDigest(keys.publicKey) },
      idField: "uscc",
      features: o.features,
      modelKind: "linear",
      modelDigest: modelDigest(parts[index] as EncryptedModel),
      idsDigest: idsDigest(list),
      idCount: list.length,
      vertical: { stage, parts: 2, addsBias: index === 0 },
      epsilonMicro: 0,
      decisionHash: "0".repeat(64),
      terms,
      task: {
        role: "owner",
        nodeId: `node_${o.name}`,
        url: "http://node.test",
        publicKey: o.node.publicKey,
        encryptionKey: "A".repeat(43),
        datasetId: o.dataset,
        field: "uscc",
        approval: {
          kind: "signed",
          ownerId: o.ownerId,
          signature: signApproval(o.ownerId, terms, o.ownerKeys.privateKeyPem),
        },
      },
      issuedAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    };
    edit?.(p);
    return signScoringPlan(p, gateway.privateKeyPem);
  }
  const holdingsRequest = (
    o: Owner,
    i: number,
    list: string[],
    jobId: string,
    edit?: (p: ScoringPlan) => void,
  ): HoldingsRequest => ({
    ...plan(o, i, "holdings", list, jobId, edit),
    ids: list,
  });
  const scoreRequest = (
    o: Owner,
    i: number,
    list: string[],
    jobId: string,
    edit?: (p: ScoringPlan) => void,
  ): ScoringRequest => ({
    ...plan(o, i, "score", list, jobId, edit),
    keys: { publicKey: keys.publicKey },
    model: parts[i] as EncryptedModel,
    ids: list,
  });

  it("scores the ids both owners hold, within 10⁻⁴ of the plaintext model over the joined features, the bias added once", async () => {
    const scorers = [scorerOf(tax), scorerOf(social)];
    const asked = [...ids(0, 10), ...ids(40, 50), ...ids(90, 100), "E9999"];
    const jobId = `job_${jobs++}`;
    const holdings = await Promise.all([
      scorers[0]?.holdings(holdingsRequest(tax, 0, asked, jobId)),
      scorers[1]?.holdings(holdingsRequest(social, 1, asked, jobId)),
    ]);
    expect(holdings.every((h, i) => h && verifyScoringHoldings(h, [tax, social][i]?.node.publicKey as string))).toBe(
      true,
    );
    expect(holdings[0]?.missing).toEqual([...ids(90, 100), "E9999"]);
    expect(holdings[1]?.missing).toEqual([...ids(0, 10), "E9999"]);
    const both = asked.filter((id) => holdings.every((h) => !h?.missing.includes(id)));
    expect(both).toEqual(ids(40, 50));
    const [a, b] = await Promise.all([
      scorers[0]?.score(scoreRequest(tax, 0, both, jobId)),
      scorers[1]?.score(scoreRequest(social, 1, both, jobId)),
    ]);
    const sums = await pool.addPartialScores([a?.ciphertexts as string[], b?.ciphertexts as string[]]);
    const scores = await decryptScores(keys, sums, both.length);
    both.forEach((id, i) => {
      const t = taxRows.find((r) => r.uscc === id) as (typeof taxRows)[number];
      const s = socialRows.find((r) => r.uscc === id) as (typeof socialRows)[number];
      expect(Math.abs((scores[i] as number) - plainScore(model, [t.employees, t.tax_paid, s.insured]))).toBeLessThan(
        1e-4,
      );
    });
    // Alone, each part is that owner's weighted features: the tax bureau's with the bias, the fund's without.
    const [alone] = await decryptScores(keys, b?.ciphertexts as string[], 1);
    expect(
      Math.abs((alone as number) - -0.5 * (socialRows.find((r) => r.uscc === "E0040")?.insured as number)),
    ).toBeLessThan(1e-4);
  });

  it("scores the ids it said it holds when the score stage names them by the plan's digest alone", async () => {
    const scorer = scorerOf(social);
    const asked = ids(15, 25); // E0015–E0019 are not the fund's
    const jobId = `job_${jobs++}`;
    const { missing } = await scorer.holdings(holdingsRequest(social, 1, asked, jobId));
    const held = asked.filter((id) => !missing.includes(id));
    const { ids: _sent, ...unsent } = scoreRequest(social, 1, held, jobId);
    const answer = await scorer.score(unsent);
    expect(answer).toMatchObject({ scored: 5, missing: [] });
    // Unsent ids must be exactly the held ones: a plan naming others is refused.
    const other = `job_${jobs++}`;
    await scorer.holdings(holdingsRequest(social, 1, asked, other));
    const { ids: _also, ...fewer } = scoreRequest(social, 1, held.slice(1), other);
    await expect(scorer.score(fewer)).rejects.toThrow(/not the ones the gateway signed/);
  });

  it("counts the job at the holdings stage and each score against that owner's own limit per id", async () => {
    const quota = new ScoreQuota();
    const scorer = scorerOf(social, quota);
    const list = ids(30, 33);
    for (let run = 0; run < 2; run++) {
      const jobId = `job_${jobs++}`;
      await scorer.holdings(holdingsRequest(social, 1, list, jobId));
      await scorer.score(scoreRequest(social, 1, list, jobId));
    }
    expect(quota.countOf("scn_v", "E0030")).toBe(2);
    const jobId = `job_${jobs++}`;
    await scorer.holdings(holdingsRequest(social, 1, list, jobId));
    await expect(scorer.score(scoreRequest(social, 1, list, jobId))).rejects.toMatchObject({
      code: "score_quota_exhausted",
    });
  });

  describe("refuses what a compromised gateway might send", () => {
    const list = ids(40, 45);
    const refusals: [string, (s: ReturnType<typeof scorerOf>, jobId: string) => Promise<unknown> | unknown, RegExp][] =
      [
        [
          "a score stage that asked no holdings first",
          (s, j) => s.score(scoreRequest(social, 1, list, j)),
          /asked this node for no holdings/,
        ],
        [
          "a holdings plan sent to be scored",
          (s, j) =>
            s.score({
              ...plan(social, 1, "holdings", list, j),
              keys: { publicKey: keys.publicKey },
              model: parts[1] as EncryptedModel,
              ids: list,
            }),
          /scores nothing/,
        ],
        [
          "a scoring plan sent as holdings",
          (s, j) => s.holdings({ ...plan(social, 1, "score", list, j), ids: list }),
          /not the holdings stage/,
        ],
        [
          "an id the node said it does not hold",
          async (s, j) => {
            await s.holdings(holdingsRequest(social, 1, ["E0001", ...list], j));
            return s.score(scoreRequest(social, 1, ["E0001", ...list], j));
          },
          /E0001 is not among the ids this node said it holds/,
        ],
        [
          "ids asked after the holdings that were never in them",
          async (s, j) => {
            await s.holdings(holdingsRequest(social, 1, list, j));
            return s.score(scoreRequest(social, 1, [...list, "E0060"], j));
          },
          /E0060 is not among/,
        ],
        [
          "another part's model at the score stage",
          async (s, j) => {
            await s.holdings(holdingsRequest(social, 1, list, j));
            return s.score({
              ...scoreRequest(social, 1, list, j, (p) => {
                p.modelDigest = modelDigest(parts[0] as EncryptedModel);
              }),
              model: parts[0] as EncryptedModel,
            });
          },
          /no holdings of this part/,
        ],
        [
          "the same job's holdings asked twice (a second membership answer)",
          async (s, j) => {
            await s.holdings(holdingsRequest(social, 1, list, j));
            return s.holdings(holdingsRequest(social, 1, list, j));
          },
          /already computed at this node/,
        ],
        [
          "the score stage replayed after it ran",
          async (s, j) => {
            await s.holdings(holdingsRequest(social, 1, list, j));
            await s.score(scoreRequest(social, 1, list, j));
            return s.score(scoreRequest(social, 1, list, j));
          },
          /asked this node for no holdings/,
        ],
        [
          "a quadratic model",
          (s, j) =>
            s.holdings(
              holdingsRequest(social, 1, list, j, (p) => {
                p.modelKind = "quadratic";
              }),
            ),
          /only a linear model/,
        ],
        [
          "a feature its owner set no bounds for",
          (s, j) =>
            s.holdings(
              holdingsRequest(social, 1, list, j, (p) => {
                p.features = ["uscc"];
              }),
            ),
          /not a numeric field/,
        ],
        [
          "holdings for ids other than those signed",
          (s, j) => s.holdings({ ...holdingsRequest(social, 1, list, j), ids: [...list, "E0070"] }),
          /not the ones the gateway signed/,
        ],
      ];
    it.each(refusals)("%s", async (_name, send, reason) => {
      const scorer = scorerOf(social);
      await expect((async () => send(scorer, `job_${jobs++}`))()).rejects.toThrow(reason);
    });
  });

  describe("the gateway's addition refuses parts that are not scores of the same ids", () => {
    let scoresA: string[];
    let scoresB: string[];
    beforeAll(async () => {
      const scorers = [scorerOf(tax), scorerOf(social)];
      const list = ids(20, 30);
      const jobId = `job_${jobs++}`;
      await scorers[0]?.holdings(holdingsRequest(tax, 0, list, jobId));
      await scorers[1]?.holdings(holdingsRequest(social, 1, list, jobId));
      scoresA = (await scorers[0]?.score(scoreRequest(tax, 0, list, jobId)))?.ciphertexts as string[];
      scoresB = (await scorers[1]?.score(scoreRequest(social, 1, list, jobId)))?.ciphertexts as string[];
    }, 30_000);
    const cases: [string, () => string[][], RegExp][] = [
      ["one part alone", () => [scoresA], /at least two owners/],
      ["parts of different lengths", () => [scoresA, [...scoresB, ...scoresB]], /same number of batches/],
      [
        "a coefficient of the model, at the top of the chain",
        () => [scoresA, [(parts[1] as Extract<EncryptedModel, { kind: "linear" }>).form.bias]],
        /not on the last prime/,
      ],
      [
        "a corrupted ciphertext",
        () => [scoresA, [`${(scoresB[0] as string).slice(0, 5000)}`]],
        /not a ckks-8192 ciphertext/,
      ],
    ];
    it.each(cases)("%s", async (_name, make, reason) => {
      await expect(pool.addPartialScores(make())).rejects.toThrow(reason);
    });
    it("adds batches in order when they are shared among several workers", async () => {
      const two = new HePool(2);
      try {
        const [a, b] = [scoresA[0] as string, scoresB[0] as string];
        // Batch by batch: 2a, a + b, 2b — each distinct, so a batch out of order would show.
        const sums = await two.addPartialScores([
          [a, a, b],
          [a, b, b],
        ]);
        const [onlyA, onlyB] = await Promise.all([decryptScores(keys, [a], 10), decryptScores(keys, [b], 10)]);
        const expected = [0, 1, 2].map((k) => onlyA.map((x, i) => (2 - k) * x + k * (onlyB[i] as number)));
        const opened = await Promise.all(sums.map((c) => decryptScores(keys, [c], 10)));
        for (const [k, scores] of opened.entries()) {
          for (const [i, value] of scores.entries()) {
            expect(Math.abs(value - (expected[k]?.[i] as number))).toBeLessThan(1e-4);
          }
        }
      } finally {
        await two.close();
      }
    });
  });
});
