import { createHash, createPrivateKey } from "node:crypto";
import { describe, expect, it } from "vitest";
import { type ScenarioTerms, signApproval } from "../../lib/approvals.js";
import { canonicalHash } from "../../lib/canonical-json.js";
import { generateEd25519KeyPair } from "../../lib/ed25519.js";
import { joinMessageBytes, sealJoinMessage } from "../join/envelope.js";
import { type JoinPartial, verifyJoinPartial } from "../join/partial.js";
import { type JoinPlan, signJoinPlan } from "../join/plan.js";
import { deriveEncryptionKeys } from "../mpc/channel.js";
import { addVectors, decodeVector, fromRing } from "../mpc/ring.js";
import { allOrNothingOf, postToNode } from "../mpc/secure-aggregate.js";
import type { AggregateQuery } from "../query/schema.js";
import { createNodeApp } from "./app.js";
import { createMemoryDataStore, datasetFromRows } from "./memory-store.js";
import type { PinnedPeer } from "./peers.js";

// The gateway's key, held by the test: it plays a compromised gateway that signs whatever it likes.
const gateway = generateEd25519KeyPair();

function makeNode(nodeId: string, rows: Record<string, string | number>[] | null) {
  const keys = generateEd25519KeyPair();
  const owner = generateEd25519KeyPair();
  const store = createMemoryDataStore(
    rows
      ? [
          datasetFromRows(
            `ds_${nodeId}`,
            [
              { name: "uscc", type: "string", level: 1 },
              { name: "district", type: "string", level: 1 },
              { name: "amount", type: "integer", level: 1 },
            ],
            rows,
          ),
        ]
      : [],
  );
  return {
    nodeId,
    ownerId: `owner_${nodeId}`,
    keys,
    owner,
    url: `http://${nodeId}.test`,
    store,
    helper: rows === null,
    encryptionKey: deriveEncryptionKeys(createPrivateKey(keys.privateKeyPem)).publicKey,
  };
}
type TestNode = ReturnType<typeof makeNode>;
const pin = (n: TestNode): PinnedPeer => ({
  nodeId: n.nodeId,
  publicKey: n.keys.publicKey,
  encryptionKey: n.encryptionKey,
  url: n.url,
});

function network(nodes: TestNode[], options: { down?: string; pins?: (node: TestNode) => PinnedPeer[] } = {}) {
  const apps = new Map<string, ReturnType<typeof createNodeApp>>();
  const routed: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const host = new URL(request.url).host;
    const app = apps.get(host);
    if (!app || host.startsWith(`${options.down}.`)) throw new TypeError("fetch failed");
    return app.fetch(request);
  };
  for (const node of nodes) {
    apps.set(
      new URL(node.url).host,
      createNodeApp({
        nodeId: node.nodeId,
        ownerId: node.ownerId,
        ownerPublicKeys: [node.owner.publicKey],
        privateKey: createPrivateKey(node.keys.privateKeyPem),
        publicKey: node.keys.publicKey,
        gatewayPublicKey: gateway.publicKey,
        store: node.store,
        helper: node.helper,
        peers: options.pins?.(node) ?? nodes.filter((n) => n !== node).map(pin),
        shareTimeoutMs: 1_500,
        fetch: routed,
      }),
    );
  }
  return routed;
}

const tax = [
  { uscc: "E1", district: "330102", amount: 100 },
  { uscc: "E2", district: "330105", amount: 250 },
  { uscc: "E3", district: "330102", amount: 40 },
  { uscc: "E4", district: "330105", amount: 9 },
];
const social = [
  { uscc: "E2", district: "x", amount: 60 },
  { uscc: "E3", district: "x", amount: 10 },
  { uscc: "E4", district: "x", amount: 70 },
  { uscc: "E9", district: "x", amount: 99 },
];

function world() {
  const a = makeNode("a", tax);
  const b = makeNode("b", social);
  const h = makeNode("h", null);
  return { a, b, h, nodes: [a, b, h] };
}

function termsFor(changes: Partial<ScenarioTerms> = {}): ScenarioTerms {
  return {
    scenarioId: "sc_1",
    operatorId: "bank",
    fields: ["ds_a.uscc", "ds_a.district", "ds_a.amount", "ds_b.uscc", "ds_b.amount"],
    computeModes: ["join"],
    queryShapes: ["sum", "count"],
    minGroupSize: 1,
    epsilonPerQueryMicro: 1_000_000,
    epsilonBudgetMicro: 100_000_000,
    queryQuota: 1_000,
    validFrom: new Date(Date.now() - 60_000).toISOString(),
    validUntil: new Date(Date.now() + 3_600_000).toISOString(),
    ...changes,
  };
}

const GROUPS = { field: "district", values: ["330102", "330105"] };

function joinPlan(w: ReturnType<typeof world>, changes: Partial<JoinPlan> = {}, terms = termsFor()): JoinPlan {
  const task = (n: TestNode) => ({
    role: "owner" as const,
    nodeId: n.nodeId,
    url: n.url,
    publicKey: n.keys.publicKey,
    encryptionKey: n.encryptionKey,
    datasetId: `ds_${n.nodeId}`,
    field: "uscc",
    approval: {
      kind: "signed" as const,
      ownerId: n.ownerId,
      signature: signApproval(n.ownerId, terms, n.owner.privateKeyPem),
    },
  });
  return {
    version: 1,
    jobId: `job_${Math.random().toString(36).slice(2)}`,
    scenarioId: "sc_1",
    computeMode: "join",
    query: { aggregate: "sum", groupBy: GROUPS },
    parts: [
      {
        task: task(w.a),
        keyKind: "text",
        measuredField: "amount",
        query: { aggregate: "sum", filters: [], groupBy: GROUPS },
        maxRowsPerKey: 1,
      },
      {
        task: task(w.b),
        keyKind: "text",
        measuredField: null,
        query: { aggregate: "count", filters: [{ field: "amount", op: ">=", value: 50 }] } as AggregateQuery,
        maxRowsPerKey: 1,
      },
    ],
    helper: {
      role: "helper",
      nodeId: w.h.nodeId,
      url: w.h.url,
      publicKey: w.h.keys.publicKey,
      encryptionKey: w.h.encryptionKey,
    },
    minGroupSize: 1,
    valueScale: 1,
    epsilonMicro: 0,
    decisionHash: "a".repeat(64),
    terms,
    issuedAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + 60_000).toISOString(),
    ...changes,
  };
}

/** Sends the signed plan to every party as the gateway does, and adds the compute parties' shares. */
async function run(
  w: ReturnType<typeof world>,
  plan: JoinPlan,
  fetchVia = network(w.nodes),
  operatorIds?: { ids: string[]; to?: string },
) {
  const signed = signJoinPlan(plan, gateway.privateKeyPem);
  const body = JSON.stringify(signed);
  const withIds = JSON.stringify({ ...signed, operatorIds: operatorIds?.ids });
  const listHolder = operatorIds?.to ?? plan.parts[0]?.task.nodeId;
  const tasks = [...plan.parts.map((p) => p.task), plan.helper];
  const answers = await allOrNothingOf(tasks, async (task, cancel) => {
    const partial = (await postToNode(
      task,
      "/joins",
      operatorIds && task.nodeId === listHolder ? withIds : body,
      { fetch: fetchVia, timeoutMs: 5_000 },
      cancel,
    )) as JoinPartial;
    expect(verifyJoinPartial(partial, task.publicKey)).toBe(true);
    return partial;
  });
  expect(answers.map((a) => a.partial === null)).toEqual([false, false, true]);
  const [x, y] = answers.slice(0, 2).map((a) => decodeVector(Buffer.from(a.partial ?? "", "base64url"), 4));
  return addVectors(x as bigint[], y as bigint[]).map(fromRing);
}

describe("owner nodes and the helper running a join over HTTP", () => {
  it("join the two departments' rows and answer the grouped sum a plaintext join gives", async () => {
    const w = world();
    // E2 (330105, 250) and E4 (330105, 9) join a social row with amount ≥ 50; E3's has 10.
    expect(await run(w, joinPlan(w))).toEqual([0n, 0n, 2n, 259n]);
  });

  it.each<[string, (w: ReturnType<typeof world>) => JoinPlan, RegExp]>([
    [
      "a field the owner did not approve",
      (w) => joinPlan(w, {}, termsFor({ fields: ["ds_a.uscc", "ds_a.amount", "ds_b.uscc", "ds_b.amount"] })),
      /ds_a.district is not in the approved fields/,
    ],
    [
      "joins the owner did not approve",
      (w) => joinPlan(w, {}, termsFor({ computeModes: ["mpc"] })),
      /did not approve sum by join/,
    ],
    [
      "a dataset outside the signed terms",
      (w) =>
        joinPlan(
          w,
          {},
          termsFor({
            fields: ["ds_a.uscc", "ds_a.district", "ds_a.amount", "ds_b.uscc", "ds_b.amount"].filter(
              (f) => !f.startsWith("ds_b"),
            ),
          }),
        ),
      /is not in the approved fields|not in the scenario's terms/,
    ],
    [
      "a part that measures while the joined query only counts",
      (w) => ({ ...joinPlan(w), query: { aggregate: "count", groupBy: GROUPS } }),
      /aggregate is not the joined query's/,
    ],
    [
      "a part grouped otherwise than the joined query",
      (w) => {
        const plan = joinPlan(w);
        return { ...plan, query: { ...plan.query, groupBy: { field: "district", values: ["330102"] } } };
      },
      /groups are not the joined query's/,
    ],
  ])("refuses %s at the owner's node, whatever the gateway signed", async (_name, make, message) => {
    const w = world();
    const failure = run(w, make(w));
    await expect(failure).rejects.toThrow(message);
    await expect(failure).rejects.toMatchObject({ code: "plan_not_approved" });
  });

  it("restricts the join to the operator's own list, which only the first part's node receives", async () => {
    const w = world();
    const ids = ["E2", " E3 ", "E9", "E2", "NOT-HELD"];
    const plan = joinPlan(w, { operatorIds: { count: ids.length, digest: canonicalHash(ids) } });
    // E4 joins but is not on the list; E2 is (listed twice, which counts once); E3 joins too little.
    expect(await run(w, plan, network(w.nodes), { ids })).toEqual([0n, 0n, 1n, 250n]);
  });

  it.each<[string, (w: ReturnType<typeof world>) => [JoinPlan, { ids: string[]; to?: string }], RegExp]>([
    ["ids beside a plan that names no list", (w) => [joinPlan(w), { ids: ["E2"] }], /names no operator's list/],
    [
      "ids other than those the gateway signed",
      (w) => [joinPlan(w, { operatorIds: { count: 1, digest: canonicalHash(["E2"]) } }), { ids: ["E4"] }],
      /not the ones the gateway signed/,
    ],
    [
      "the list sent to the second part's node",
      (w) => [joinPlan(w, { operatorIds: { count: 1, digest: canonicalHash(["E2"]) } }), { ids: ["E2"], to: "b" }],
      /only the first part's node takes the operator's list|not the ones the gateway signed/,
    ],
  ])("refuses %s", async (_name, make, message) => {
    const w = world();
    const [plan, operatorIds] = make(w);
    await expect(run(w, plan, network(w.nodes), operatorIds)).rejects.toThrow(message);
  });

  it("refuses a helper the owners did not pin before anything leaves them", async () => {
    const w = world();
    const impostor = makeNode("h", null);
    const plan = joinPlan(w, {
      helper: {
        role: "helper",
        nodeId: "h",
        url: w.h.url,
        publicKey: impostor.keys.publicKey,
        encryptionKey: impostor.encryptionKey,
      },
    });
    await expect(run(w, plan)).rejects.toThrow(/another signing key than the one pinned/);
  });

  it("refuses a plan not signed by the gateway the node trusts", async () => {
    const w = world();
    const fetchVia = network(w.nodes);
    const plan = joinPlan(w);
    const forged = JSON.stringify(signJoinPlan(plan, generateEd25519KeyPair().privateKeyPem));
    await expect(
      postToNode(
        plan.parts[0]?.task as { nodeId: string; url: string },
        "/joins",
        forged,
        { fetch: fetchVia },
        new AbortController().signal,
      ),
    ).rejects.toThrow(/not signed by the gateway/);
  });

  it("answers a plan sent again with the same shares, computing nothing twice, and refuses another plan under its job id", async () => {
    const w = world();
    const via = network(w.nodes);
    // Noise makes two computations differ: an equal answer is the one kept, not a second run.
    const base = joinPlan(w);
    const plan = { ...base, epsilonMicro: 1_000_000, query: { ...base.query, bounds: { min: 0, max: 1_000 } } };
    for (const part of plan.parts)
      if (part.measuredField) part.query = { ...part.query, bounds: { min: 0, max: 1_000 } };
    const first = await run(w, plan, via);
    expect(await run(w, plan, via)).toEqual(first);
    expect(await run(w, { ...plan, jobId: `${plan.jobId}_b` }, via)).not.toEqual(first);
    const other = { ...plan, expiresAt: new Date(Date.now() + 50_000).toISOString() };
    await expect(run(w, other, via)).rejects.toThrow(/already running under another plan/);
  });

  it("fails cleanly when a party is down: every node stops, none answers", async () => {
    const w = world();
    await expect(run(w, joinPlan(w), network(w.nodes, { down: "h" }))).rejects.toMatchObject({
      code: "node_unavailable",
    });
  });

  it("refuses a message for a join that is not signed by the pinned peer", async () => {
    const w = world();
    const fetchVia = network(w.nodes);
    const plan = joinPlan(w);
    const ciphertext = Buffer.alloc(40, 7);
    const header = {
      jobId: plan.jobId,
      from: "a",
      to: "b",
      kind: "pseudonym-key" as const,
      step: 0,
      ephemeralKey: "A".repeat(43),
      nonce: "A".repeat(16),
      ciphertextSha256: createHash("sha256").update(ciphertext).digest("hex"),
      signature: "A".repeat(86),
    };
    const post = (body: Buffer) =>
      fetchVia(`${w.b.url}/joins/${plan.jobId}/messages`, {
        method: "POST",
        headers: { "content-type": "application/octet-stream" },
        body,
      });
    const junk = await post(Buffer.from("not a join message"));
    expect(junk.status).toBe(400);
    expect(await junk.text()).toMatch(/malformed join message/);
    // Refused at the door: the header is checked against a's pinned key before anything is held.
    const forged = await post(joinMessageBytes({ header, ciphertext }));
    expect(forged.status).toBe(401);
    expect(await forged.text()).toMatch(/bad signature/);
    // A sender this node's owner never pinned leaves nothing either, however it signs.
    const stranger = generateEd25519KeyPair();
    const unpinned = sealJoinMessage(
      { jobId: plan.jobId, from: "z", to: "b", kind: "pseudonym-key", step: 0 },
      Buffer.alloc(32, 1),
      w.b.encryptionKey,
      stranger.privateKeyPem,
    );
    const refused = await post(joinMessageBytes(unpinned));
    expect(refused.status).toBe(403);
    expect(await refused.text()).toMatch(/not a peer this node's owner pinned/);
    // The join itself still runs: nothing was held in the pinned peer's slot.
    expect(await run(w, plan, fetchVia)).toEqual([0n, 0n, 2n, 259n]);
  });
});
