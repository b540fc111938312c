import { createPrivateKey } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { type ScenarioTerms, signApproval } from "../../lib/approvals.js";
import { generateEd25519KeyPair } from "../../lib/ed25519.js";
import { pinOf, psiHelperNode } from "../../test/support/psi-parties.js";
import { deriveEncryptionKeys, newEncryptionKeys, open } from "../mpc/channel.js";
import { addInRing, decodeVector, fromRing, sumInRing } from "../mpc/ring.js";
import { blindOwn, blindPeer, newBlindingKey, POINT_BYTES } from "../psi/blind.js";
import { encodeBitmap } from "../psi/helper-protocol.js";
import { PsiPool } from "../psi/pool.js";
import { operatorSharesContext, type PsiPlan, signPsiPlan } from "../psi/protocol.js";
import { pointKey } from "../psi/spill.js";
import { createMemoryDataStore, datasetFromRows } from "./memory-store.js";
import { createPeerPins } from "./peers.js";
import { createPsiResponder } from "./psi.js";
import { SpendLedger } from "./spend-ledger.js";

const gateway = generateEd25519KeyPair();
const { helper, task: helperTask, pin } = psiHelperNode(gateway.publicKey);

// Tax: N0…N39, paid 100·i (N5 appears twice: 500 and 7, so its total is 507). Social: N20…N59.
const TAX_ROWS = [
  ...Array.from({ length: 40 }, (_, i) => ({ name: `N${i}`, paid: String(100 * i) })),
  { name: "N5", paid: "7" },
];
const SOCIAL_ROWS = Array.from({ length: 40 }, (_, i) => ({ name: `N${i + 20}`, paid: "1" }));

function owner(key: string, dataset: string, rows: Record<string, string>[]) {
  const node = generateEd25519KeyPair();
  const ownerKeys = generateEd25519KeyPair();
  const store = createMemoryDataStore([
    datasetFromRows(
      dataset,
      [
        { name: "name", type: "string", level: 1 },
        { name: "paid", type: "integer", level: 2 },
      ],
      rows,
    ),
  ]);
  const encryptionKey = deriveEncryptionKeys(createPrivateKey(node.privateKeyPem)).publicKey;
  const o = { key, dataset, node, ownerKeys, store, encryptionKey, nodeId: `node_${key}`, ownerId: `owner_${key}` };
  // The helper's owner pins both owners' nodes.
  pin({ nodeId: o.nodeId, publicKey: node.publicKey, encryptionKey, url: `http://${key}.test` });
  return o;
}
const tax = owner("tax", "ds_tax", TAX_ROWS);
const social = owner("social", "ds_social", SOCIAL_ROWS);
// The operator's key for a sum's sealed shares.
const operatorKeys = newEncryptionKeys();

const terms: ScenarioTerms = {
  scenarioId: "scn_psi",
  operatorId: "bank",
  fields: ["ds_tax.name", "ds_tax.paid", "ds_social.name"],
  computeModes: ["psi"],
  queryShapes: ["psi-size", "psi-sum"],
  minGroupSize: 5,
  epsilonPerQueryMicro: 1_000_000,
  epsilonBudgetMicro: 1_000_000_000,
  queryQuota: 1_000_000,
  validFrom: "2020-01-01T00:00:00.000Z",
  validUntil: "2099-01-01T00:00:00.000Z",
};

let jobs = 0;
function planFor(o: typeof tax, overrides: Partial<PsiPlan>, jobId = `job_${jobs++}`): PsiPlan {
  return {
    version: 2,
    kind: "psi",
    jobId,
    scenarioId: terms.scenarioId,
    idField: "name",
    idKind: "text",
    output: "size",
    helper: helperTask,
    epsilonMicro: 0,
    minGroupSize: 5,
    decisionHash: "0".repeat(64),
    terms,
    task: {
      role: "owner",
      nodeId: o.nodeId,
      url: `http://${o.key}.test`,
      publicKey: o.node.publicKey,
      encryptionKey: o.encryptionKey,
      datasetId: o.dataset,
      field: "name",
      approval: {
        kind: "signed",
        ownerId: o.ownerId,
        signature: signApproval(o.ownerId, terms, o.ownerKeys.privateKeyPem),
      },
    },
    issuedAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + 60_000).toISOString(),
    ...overrides,
  };
}

describe("the helper node: PSI-sum and the two-owner size", () => {
  const pool = new PsiPool(1);
  afterAll(async () => {
    await pool.close();
  });
  const responder = (o: typeof tax) =>
    createPsiResponder({
      nodeId: o.nodeId,
      privateKey: createPrivateKey(o.node.privateKeyPem),
      publicKey: o.node.publicKey,
      gatewayPublicKey: gateway.publicKey,
      store: o.store,
      pool: () => pool,
      approval: {
        ownerId: o.ownerId,
        ownerPublicKeys: [o.ownerKeys.publicKey],
        holds: (id) => id === o.dataset,
        levelOf: () => 1,
        noiseFromLevel: 3,
      },
      spend: new SpendLedger(),
      pins: createPeerPins([pinOf(helperTask)]),
      now: () => new Date(),
    });
  const taxNode = responder(tax);
  const socialNode = responder(social);
  const sumTerms = {
    valueField: "paid",
    valueScale: 1 as const,
    min: 0,
    max: 3_000,
    operatorKey: operatorKeys.publicKey,
  };

  /** The operator's side of a sum, as the SDK runs it (one chunk each way): the matched entities' bitmap and its shares summed. */
  async function operatorSum(ids: string[], overrides: Partial<PsiPlan> = {}) {
    const signed = signPsiPlan(planFor(tax, { output: "sum", sum: sumTerms, ...overrides }), gateway.privateKeyPem);
    const request = { jobId: signed.plan.jobId, signature: signed.signature };
    const set = await taxNode.start(signed);
    const a = newBlindingKey();
    const page = await taxNode.page({ ...request, index: 0 });
    const ownerRaised = blindPeer(Buffer.from(page.points, "base64"), a);
    await taxNode.operatorPoints({ ...request, index: 0, points: blindOwn(ids, a).toString("base64") });
    const reply = await taxNode.answer({ ...request, operatorChunks: 1, operatorCount: ids.length });
    expect(reply.answerChunks).toBe(1);
    const answers = await taxNode.answerPage({ ...request, index: 0 });
    const answered = Buffer.from(answers.points, "base64");
    const keys = (points: Buffer) =>
      Array.from({ length: points.length / POINT_BYTES }, (_, i) => pointKey(points, i * POINT_BYTES));
    const inAnswers = new Set(keys(answered));
    const matched = keys(ownerRaised).map((key) => inAnswers.has(key));
    const sealed = page.operatorShares as NonNullable<typeof page.operatorShares>;
    const shares = decodeVector(open(sealed, operatorKeys, operatorSharesContext(signed.plan.jobId, 0)), set.count);
    const partial = sumInRing(shares.filter((_, i) => matched[i]));
    const seed = set.helperSeed as NonNullable<typeof set.helperSeed>;
    return { signed, seed, matched: Buffer.from(encodeBitmap(matched)).toString("base64"), partial };
  }

  it("sums the owner's column over the intersection: totals per entity, clamped, exact at ε 0", async () => {
    const ids = ["N1", "N5", "N10", "N35", "N39", "X1", "X2", "N1"];
    const { signed, seed, matched, partial } = await operatorSum(ids);
    expect(seed.count).toBe(40);
    const release = helper.sum({
      ...signed,
      seed,
      matched,
    });
    expect(release).toMatchObject({ kind: "sum", matched: 5, suppressed: false });
    // N5's two rows total 507; N35 (3,500) and N39 (3,900) are clamped to 3,000.
    expect(fromRing(addInRing(partial, BigInt(release.partial as string)))).toBe(
      100n + 507n + 1_000n + 3_000n + 3_000n,
    );
  });

  it("seals a sum's seed only to the helper its owner pinned: a gateway posing as the helper gets nothing", async () => {
    const impostor = newEncryptionKeys();
    const posing = signPsiPlan(
      planFor(tax, { output: "sum", sum: sumTerms, helper: { ...helperTask, encryptionKey: impostor.publicKey } }),
      gateway.privateKeyPem,
    );
    await expect(taxNode.start(posing)).rejects.toThrow(
      /helper node_helper has another encryption key than the one pinned/,
    );
    const elsewhere = signPsiPlan(
      planFor(tax, { output: "sum", sum: sumTerms, helper: { ...helperTask, nodeId: "node_gateway" } }),
      gateway.privateKeyPem,
    );
    await expect(taxNode.start(elsewhere)).rejects.toThrow(/node_gateway is not among the peers/);
    // Neither opened a session: nothing of the owner's set is served for them.
    await expect(taxNode.page({ jobId: posing.plan.jobId, signature: posing.signature, index: 0 })).rejects.toThrow(
      /no PSI session/,
    );
  });

  it("sends the operator's shares sealed to its key for the job, so the gateway relaying them reads nothing", async () => {
    const signed = signPsiPlan(planFor(tax, { output: "sum", sum: sumTerms }), gateway.privateKeyPem);
    const set = await taxNode.start(signed);
    const page = await taxNode.page({ jobId: signed.plan.jobId, signature: signed.signature, index: 0 });
    const sealed = page.operatorShares as NonNullable<typeof page.operatorShares>;
    expect(Object.keys(sealed).sort()).toEqual(["ciphertext", "ephemeralKey", "nonce"]);
    expect(open(sealed, operatorKeys, operatorSharesContext(signed.plan.jobId, 0))).toHaveLength(set.count * 16);
    // Another key (the gateway's own), or the page's context moved to another page or job, opens nothing.
    expect(() => open(sealed, newEncryptionKeys(), operatorSharesContext(signed.plan.jobId, 0))).toThrow(
      /could not be opened/,
    );
    expect(() => open(sealed, operatorKeys, operatorSharesContext(signed.plan.jobId, 1))).toThrow(
      /could not be opened/,
    );
    expect(() => open(sealed, operatorKeys, operatorSharesContext("job_other", 0))).toThrow(/could not be opened/);
    taxNode.cancel({ jobId: signed.plan.jobId, signature: signed.signature });
  });

  it("has the helper open sealed inputs only from the owners' nodes its owner pinned", async () => {
    const { signed, seed, matched } = await operatorSum(["N1", "N2", "N3", "N4", "N5", "N6"]);
    // The same plan with another owner key: the helper does not take the gateway's word for who sealed the seed.
    const stranger = generateEd25519KeyPair();
    const forged = signPsiPlan(
      { ...signed.plan, task: { ...signed.plan.task, publicKey: stranger.publicKey } },
      gateway.privateKeyPem,
    );
    expect(() => helper.sum({ ...forged, seed, matched })).toThrow(/owner node_tax has another signing key/);
  });

  it("withholds a sum when fewer than k entities matched", async () => {
    const { signed, seed, matched } = await operatorSum(["N1", "N2", "X"]);
    const release = helper.sum({
      ...signed,
      seed,
      matched,
    });
    expect(release).toMatchObject({ matched: 2, suppressed: true, partial: null });
  });

  it("adds noise of scale max(|min|, |max|)/ε to a sum at ε > 0", async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `N${i}`);
    const totals = Array.from({ length: 30 }, (_, i) => Math.min(i === 5 ? 507 : 100 * i, 3_000));
    const exact = BigInt(totals.reduce((a, b) => a + b, 0));
    const errors: number[] = [];
    for (let run = 0; run < 8; run++) {
      const { signed, seed, matched, partial } = await operatorSum(ids, { epsilonMicro: 1_000_000 });
      const release = helper.sum({
        ...signed,
        seed,
        matched,
      });
      errors.push(Number(fromRing(addInRing(partial, BigInt(release.partial as string))) - exact));
    }
    // Scale 3,000: some noise shows, and 12 standard deviations (√2·3,000 each) bound every sample.
    expect(errors.some((e) => e !== 0)).toBe(true);
    for (const e of errors) expect(Math.abs(e)).toBeLessThan(12 * Math.SQRT2 * 3_000);
  });

  it("refuses a second release, another helper's plan, altered shares, and a bitmap of the wrong size", async () => {
    const { signed, seed: shares, matched } = await operatorSum(["N1", "N2", "N3", "N4", "N6", "N7"]);
    const tampered = {
      ...shares,
      ciphertext: `${shares.ciphertext.slice(0, -2)}${shares.ciphertext.endsWith("AA") ? "BA" : "AA"}`,
    };
    expect(() => helper.sum({ ...signed, seed: tampered, matched })).toThrow(/not signed|could not be opened/);
    const resigned = { ...shares, count: shares.count - 1 };
    expect(() => helper.sum({ ...signed, seed: resigned, matched })).toThrow(/not signed/);
    expect(() => helper.sum({ ...signed, seed: shares, matched: Buffer.alloc(6).toString("base64") })).toThrow(
      /bitmap/,
    );
    const other = generateEd25519KeyPair();
    const elsewhere = signPsiPlan(
      { ...signed.plan, helper: { ...helperTask, publicKey: other.publicKey } },
      gateway.privateKeyPem,
    );
    expect(() => helper.sum({ ...elsewhere, seed: shares, matched })).toThrow(/does not name node node_helper/);
    expect(() =>
      helper.sum({ ...signPsiPlan(signed.plan, generateEd25519KeyPair().privateKeyPem), seed: shares, matched }),
    ).toThrow(/not signed by the gateway/);
    expect(helper.sum({ ...signed, seed: shares, matched }).matched).toBe(6);
    expect(() => helper.sum({ ...signed, seed: shares, matched })).toThrow(/already released/);
  });

  /** Both owners' bits over the operator's points, as the gateway collects them. */
  async function combined(ids: string[], op: "union" | "intersection", epsilonMicro = 0) {
    const jobId = `job_${jobs++}`;
    const combine = { op, owners: [tax.nodeId, social.nodeId] as [string, string] };
    const times = { issuedAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 60_000).toISOString() };
    const plans = [tax, social].map((o) =>
      signPsiPlan(planFor(o, { combine, epsilonMicro, ...times }, jobId), gateway.privateKeyPem),
    ) as [ReturnType<typeof signPsiPlan>, ReturnType<typeof signPsiPlan>];
    const a = newBlindingKey();
    const mine = blindOwn(ids, a).toString("base64");
    const nodes = [taxNode, socialNode];
    const bits = await Promise.all(
      plans.map(async (signed, i) => {
        const node = nodes[i] as typeof taxNode;
        const request = { jobId, signature: signed.signature };
        await node.start(signed);
        const page = await node.page({ ...request, index: 0 });
        const raised = blindPeer(Buffer.from(page.points, "base64"), a).toString("base64");
        await node.operatorPoints({ ...request, index: 0, points: mine });
        await node.raisedPoints({ ...request, index: 0, points: raised });
        const reply = await node.answer({ ...request, operatorChunks: 1, operatorCount: ids.length });
        expect(reply.size).toBeNull();
        return reply.helperBits as NonNullable<typeof reply.helperBits>;
      }),
    );
    return { plans, bits: bits as [(typeof bits)[0], (typeof bits)[0]] };
  }

  it("releases the size of the union and of the intersection of two owners' sets, repeats counted once", async () => {
    // In tax only: N1…N9 (9); in both: N20…N29 (10); in social only: N45…N49 (5); in neither: X1, X2.
    const ids = [
      ...Array.from({ length: 9 }, (_, i) => `N${i + 1}`),
      ...Array.from({ length: 10 }, (_, i) => `N${i + 20}`),
      ...Array.from({ length: 5 }, (_, i) => `N${i + 45}`),
      "X1",
      "X2",
      "N20",
      "N1",
    ];
    expect(helper.combine(await combined(ids, "intersection"))).toMatchObject({ size: 10, suppressed: false });
    expect(helper.combine(await combined(ids, "union"))).toMatchObject({ size: 24, suppressed: false });
    expect(helper.combine(await combined(["N20", "N21", "X"], "intersection"))).toMatchObject({
      size: null,
      suppressed: true,
    });
  });

  it("refuses two plans that are not one job, owners out of order, and one owner's bits twice", async () => {
    const { plans, bits } = await combined(["N20", "N21", "N22", "N23", "N24", "N25"], "intersection");
    const [first, second] = plans;
    const stranger = signPsiPlan({ ...second.plan, jobId: "job_other" }, gateway.privateKeyPem);
    expect(() => helper.combine({ plans: [first, stranger], bits })).toThrow(/not one two-owner job/);
    expect(() => helper.combine({ plans: [second, first], bits: [bits[1], bits[0]] })).toThrow(/owners the job names/);
    expect(() => helper.combine({ plans, bits: [bits[0], bits[0]] })).toThrow(/not signed by node node_social/);
    expect(helper.combine({ plans, bits }).size).toBe(6);
    expect(() => helper.combine({ plans, bits })).toThrow(/already released/);
  });

  it("has an owner refuse a sum its owner did not approve and a two-owner plan that does not name it", async () => {
    const unapproved = { ...terms, queryShapes: ["psi-size" as const] };
    const plan = planFor(tax, { output: "sum", sum: sumTerms, terms: unapproved });
    plan.task = {
      ...plan.task,
      approval: {
        kind: "signed",
        ownerId: tax.ownerId,
        signature: signApproval(tax.ownerId, unapproved, tax.ownerKeys.privateKeyPem),
      },
    } as PsiPlan["task"];
    await expect(taxNode.start(signPsiPlan(plan, gateway.privateKeyPem))).rejects.toThrow(/did not approve psi-sum/);
    const notMine = planFor(tax, { combine: { op: "union", owners: ["node_a", "node_b"] } });
    await expect(taxNode.start(signPsiPlan(notMine, gateway.privateKeyPem))).rejects.toThrow(/does not name this node/);
    const wrongScale = planFor(tax, { output: "sum", sum: { ...sumTerms, valueScale: 100 } });
    await expect(taxNode.start(signPsiPlan(wrongScale, gateway.privateKeyPem))).rejects.toThrow(/fixed point/);
  });
});
