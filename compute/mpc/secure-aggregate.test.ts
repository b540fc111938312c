import { createPrivateKey } from "node:crypto";
import { describe, expect, it } from "vitest";
import { type ScenarioTerms, signApproval, signRule } from "../../lib/approvals.js";
import { generateEd25519KeyPair } from "../../lib/ed25519.js";
import { ComputeError } from "../errors.js";
import { createNodeApp } from "../node/app.js";
import { createMemoryDataStore, datasetFromRows } from "../node/memory-store.js";
import type { PinnedPeer } from "../node/peers.js";
import {
  type ApprovalProof,
  type NodeTask,
  type OwnerTask,
  type QueryPlan,
  shareContext,
  signPlan,
  signShare,
} from "../protocol.js";
import type { AggregateQuery } from "../query/schema.js";
import { deriveEncryptionKeys, seal } from "./channel.js";
import { encodeVector } from "./ring.js";
import { runSecureAggregate } from "./secure-aggregate.js";

const gateway = generateEd25519KeyPair();
const DISTRICTS = ["330102", "330105", "330106"];

type Row = { amount: number; district?: string };

function makeNode(
  nodeId: string,
  amounts: (number | Row)[],
  overrides: {
    gatewayPublicKey?: string;
    level?: number;
    helper?: boolean;
    /** The peers its owner pinned; by default every other node of its network, as they are. */
    peers?: PinnedPeer[];
  } = {},
) {
  const keys = generateEd25519KeyPair();
  const owner = generateEd25519KeyPair();
  const rows = amounts.map((a, i) => (typeof a === "number" ? { amount: a, district: DISTRICTS[i % 3] as string } : a));
  const level = overrides.level ? { level: overrides.level } : {};
  const store = createMemoryDataStore(
    overrides.helper
      ? []
      : [
          datasetFromRows(
            `ds_${nodeId}`,
            [
              { name: "amount", type: "integer", ...level },
              { name: "district", type: "string", ...level },
            ],
            rows,
          ),
        ],
  );
  const encryptionKey = deriveEncryptionKeys(createPrivateKey(keys.privateKeyPem)).publicKey;
  return {
    nodeId,
    ownerId: `owner_${nodeId}`,
    keys,
    owner,
    url: `http://${nodeId}.test`,
    store,
    overrides,
    encryptionKey,
    rows,
  };
}

type TestNode = ReturnType<typeof makeNode>;
const pinned = (n: TestNode): PinnedPeer => ({
  nodeId: n.nodeId,
  publicKey: n.keys.publicKey,
  encryptionKey: n.encryptionKey,
  url: n.url,
});
const helper = () => makeNode("h", [], { helper: true });

/** Routes each node's HTTP calls to the in-process app of the node it addresses, recording the traffic. */
function network(
  nodes: TestNode[],
  options: { down?: string[]; seen?: string[]; aliases?: Record<string, string> } = {},
) {
  const apps = new Map<string, { fetch: (r: Request) => Response | Promise<Response> }>();
  const routedFetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const { host, pathname } = new URL(request.url);
    options.seen?.push(`${host}${pathname} ${await request.clone().text()}`);
    const app = apps.get(options.aliases?.[host] ?? host);
    if (!app || options.down?.includes(host.split(".")[0] as string)) throw new TypeError("fetch failed");
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
        gatewayPublicKey: node.overrides.gatewayPublicKey ?? gateway.publicKey,
        store: node.store,
        helper: node.overrides.helper,
        peers: node.overrides.peers ?? nodes.filter((n) => n.nodeId !== node.nodeId).map(pinned),
        shareTimeoutMs: 2_000,
        fetch: routedFetch,
      }),
    );
  }
  return routedFetch;
}

const owners = (nodes: TestNode[]) => nodes.filter((n) => !n.overrides.helper);

function termsFor(nodes: TestNode[], changes: Partial<ScenarioTerms> = {}): ScenarioTerms {
  return {
    scenarioId: "sc_1",
    operatorId: "bank",
    fields: owners(nodes)
      .flatMap((n) => [`ds_${n.nodeId}.amount`, `ds_${n.nodeId}.district`])
      .sort(),
    computeModes: ["mpc"],
    queryShapes: ["sum", "count", "mean", "variance", "histogram"],
    // The arithmetic tests use a handful of rows; the withholding tests sign a real k.
    minGroupSize: 1,
    epsilonPerQueryMicro: 1_000_000,
    epsilonBudgetMicro: 1_000_000_000,
    queryQuota: 1_000_000,
    validFrom: new Date(Date.now() - 60_000).toISOString(),
    validUntil: new Date(Date.now() + 3_600_000).toISOString(),
    ...changes,
  };
}

const SUM: AggregateQuery = { aggregate: "sum", filters: [] };

/** A plan whose every owner signed the terms, unless `approve` says otherwise for a node. */
function plan(
  nodes: TestNode[],
  changes: Partial<QueryPlan> = {},
  approve: (node: TestNode, terms: ScenarioTerms) => ApprovalProof = (n, t) => ({
    kind: "signed",
    ownerId: n.ownerId,
    signature: signApproval(n.ownerId, t, n.owner.privateKeyPem),
  }),
): QueryPlan {
  const terms = changes.terms ?? termsFor(nodes);
  return {
    version: 2,
    jobId: `job_${Math.random().toString(36).slice(2)}`,
    scenarioId: "sc_1",
    computeMode: "mpc",
    minGroupSize: terms.minGroupSize,
    query: SUM,
    valueScale: 1,
    epsilonMicro: 0,
    decisionHash: "a".repeat(64),
    terms,
    tasks: nodes.map((n) =>
      n.overrides.helper
        ? {
            role: "helper" as const,
            nodeId: n.nodeId,
            url: n.url,
            publicKey: n.keys.publicKey,
            encryptionKey: n.encryptionKey,
          }
        : {
            role: "owner" as const,
            nodeId: n.nodeId,
            url: n.url,
            publicKey: n.keys.publicKey,
            encryptionKey: n.encryptionKey,
            datasetId: `ds_${n.nodeId}`,
            field: "amount",
            approval: approve(n, terms),
          },
    ),
    issuedAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + 60_000).toISOString(),
    ...changes,
  };
}

const ownerTask = (p: QueryPlan, i: number) => p.tasks[i] as OwnerTask;
const run = (nodes: TestNode[], p: QueryPlan, fetchVia = network(nodes)) =>
  runSecureAggregate(signPlan(p, gateway.privateKeyPem), { fetch: fetchVia });

describe("secure aggregation across owner nodes and a helper", () => {
  it("reconstructs the count and total of every owner's rows, with a helper as third party", async () => {
    const nodes = [makeNode("a", [100, 250]), makeNode("b", [-40, 7, 3]), helper()];
    expect(await run(nodes, plan(nodes))).toEqual([5n, 320n]);
  });

  it("computes grouped, filtered, binned and second-moment aggregates exactly as plaintext does", async () => {
    const a = makeNode("a", [5, 12, 40, 7, 90, 33, 18]);
    const b = makeNode("b", [60, 2, 11, 25]);
    const nodes = [a, b, helper()];
    const rows = [...a.rows, ...b.rows];
    const districts = ["330102", "330105"];
    const filtered = rows.filter((r) => r.amount >= 5 && districts.includes(r.district as string));
    const query: AggregateQuery = {
      aggregate: "variance",
      filters: [{ field: "amount", op: ">=", value: 5 }],
      groupBy: { field: "district", values: districts },
    };
    const expected = districts.flatMap((d) => {
      const values = filtered.filter((r) => r.district === d).map((r) => BigInt(r.amount));
      return [BigInt(values.length), values.reduce((x, y) => x + y, 0n), values.reduce((x, y) => x + y * y, 0n)];
    });
    expect(await run(nodes, plan(nodes, { query }))).toEqual(expected);

    const histogram: AggregateQuery = { aggregate: "histogram", filters: [], bins: [10, 50] };
    const bins = [
      rows.filter((r) => r.amount < 10),
      rows.filter((r) => r.amount >= 10 && r.amount < 50),
      rows.filter((r) => r.amount >= 50),
    ];
    expect(await run(nodes, plan(nodes, { query: histogram }))).toEqual(bins.map((x) => BigInt(x.length)));
  });

  it("adds noise when ε > 0, so the released total is not the exact one", async () => {
    const nodes = [makeNode("a", Array(50).fill(10)), makeNode("b", Array(50).fill(10)), helper()];
    const query: AggregateQuery = { aggregate: "sum", filters: [], bounds: { min: 0, max: 10 } };
    const results = await Promise.all(
      Array.from({ length: 6 }, () => run(nodes, plan(nodes, { query, epsilonMicro: 1_000_000 }))),
    );
    expect(results.some(([count, sum]) => count !== 100n || sum !== 1_000n)).toBe(true);
    // Each count carries three samples of scale 4 (σ ≈ 9.8); their mean over six jobs has σ ≈ 4.
    const meanCount = results.reduce((sum, [count]) => sum + Number(count), 0) / results.length;
    expect(Math.abs(meanCount - 100)).toBeLessThan(12 * 4);
  });

  it("never puts a node's values on the wire: shares travel sealed", async () => {
    const nodes = [makeNode("a", [123_456_789]), makeNode("b", [987_654_321]), helper()];
    const seen: string[] = [];
    expect(await run(nodes, plan(nodes), network(nodes, { seen }))).toEqual([2n, 1_111_111_110n]);
    const traffic = seen.join("\n");
    expect(traffic).not.toContain("123456789");
    expect(traffic).not.toContain("987654321");
    expect(traffic).toContain("ciphertext");
  });

  it("gives the same answer when the gateway repeats a job id", async () => {
    const nodes = [makeNode("a", [5]), makeNode("b", [6]), helper()];
    const fetchVia = network(nodes);
    const signed = signPlan(plan(nodes), gateway.privateKeyPem);
    expect(await runSecureAggregate(signed, { fetch: fetchVia })).toEqual([2n, 11n]);
    expect(await runSecureAggregate(signed, { fetch: fetchVia })).toEqual([2n, 11n]);
  });

  it("refuses a plan not signed by the trusted gateway", async () => {
    const nodes = [makeNode("a", [1]), makeNode("b", [2]), helper()];
    const impostor = generateEd25519KeyPair();
    const attempt = runSecureAggregate(signPlan(plan(nodes), impostor.privateKeyPem), { fetch: network(nodes) });
    await expect(attempt).rejects.toThrow(/refused the job \(401\)/);
  });

  it("refuses a plan altered after signing", async () => {
    const nodes = [makeNode("a", [1]), makeNode("b", [2]), helper()];
    const signed = signPlan(plan(nodes), gateway.privateKeyPem);
    const altered = {
      ...signed,
      plan: { ...signed.plan, epsilonMicro: 0, query: { ...SUM, aggregate: "count" as const } },
    };
    await expect(runSecureAggregate(altered, { fetch: network(nodes) })).rejects.toThrow(/401/);
  });

  it("refuses an expired plan, and a plan with fewer than three parties", async () => {
    const nodes = [makeNode("a", [1]), makeNode("b", [2]), helper()];
    const expired = plan(nodes, { expiresAt: new Date(Date.now() - 1_000).toISOString() });
    await expect(run(nodes, expired)).rejects.toThrow(/expired/);
    const pair = nodes.slice(0, 2);
    await expect(run(pair, plan(pair))).rejects.toThrow(/refused the job \(400\)/);
  });

  it("fails the whole job when one node cannot be reached", async () => {
    const nodes = [makeNode("a", [1]), makeNode("b", [2]), helper()];
    await expect(run(nodes, plan(nodes), network(nodes, { down: ["h"] }))).rejects.toBeInstanceOf(ComputeError);
  });

  it("fails cleanly when a node does not hold the dataset named in the plan", async () => {
    const nodes = [makeNode("a", [1]), makeNode("b", [2]), helper()];
    const terms = termsFor(nodes);
    const p = plan(nodes, { terms: { ...terms, fields: [...terms.fields, "ds_missing.amount"] } });
    p.tasks[1] = { ...ownerTask(p, 1), datasetId: "ds_missing" };
    await expect(run(nodes, p)).rejects.toThrow(/ds_missing/);
  });

  it("refuses a node taking the other role: a helper as an owner, an owner as a helper", async () => {
    const nodes = [makeNode("a", [1]), makeNode("b", [2]), makeNode("c", [3]), helper()];
    const asOwner = plan(nodes);
    asOwner.tasks[3] = {
      ...ownerTask(asOwner, 0),
      nodeId: "h",
      url: "http://h.test",
      publicKey: nodes[3]!.keys.publicKey,
      encryptionKey: nodes[3]!.encryptionKey,
    };
    await expect(run(nodes, asOwner)).rejects.toThrow(/holds no data/);
    const asHelper = plan(nodes);
    const a = nodes[0] as TestNode;
    asHelper.tasks[0] = {
      role: "helper",
      nodeId: "a",
      url: a.url,
      publicKey: a.keys.publicKey,
      encryptionKey: a.encryptionKey,
    };
    await expect(run(nodes, asHelper)).rejects.toThrow(/not a helper node/);
  });

  it("refuses a plan naming a party its owner did not pin, or a pinned party with other keys", async () => {
    const b = makeNode("b", [2]);
    const h = helper();
    const a = makeNode("a", [1], { peers: [pinned(b)] });
    await expect(run([a, b, h], plan([a, b, h]))).rejects.toThrow(
      /the plan's helper h is not among the peers this node's owner pinned/,
    );
    const trusting = makeNode("a", [1], { peers: [pinned(b), pinned(h)] });
    expect(await run([trusting, b, h], plan([trusting, b, h]))).toEqual([2n, 3n]);
  });

  it("lets a compromised gateway posing as the helper learn nothing: no share is sealed to a key it chose", async () => {
    const nodes = [makeNode("a", [100]), makeNode("b", [200]), helper()];
    const seen: string[] = [];
    const fetchVia = network(nodes, { seen, aliases: { "gateway-own.test": "h.test" } });
    // The gateway keeps the helper's id and signing key but puts its own encryption key and address in the plan.
    const impostor = deriveEncryptionKeys(createPrivateKey(generateEd25519KeyPair().privateKeyPem));
    const p = plan(nodes);
    p.tasks[2] = { ...(p.tasks[2] as NodeTask), encryptionKey: impostor.publicKey, url: "http://gateway-own.test" };
    await expect(run(nodes, p, fetchVia)).rejects.toThrow(/refused the job/);
    const asked = await fetchVia("http://a.test/jobs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(signPlan(p, gateway.privateKeyPem)),
    });
    expect(asked.status).toBe(403);
    expect(((await asked.json()) as { detail: string }).detail).toMatch(
      /the plan's helper h has another encryption key than the one pinned/,
    );
    expect(seen.filter((line) => line.includes("/shares"))).toEqual([]);
    // Nor does a plan that only moves a party's address (the gateway relays the plan itself there):
    // the owners' shares go where their owners pinned the helper.
    const moved = plan(nodes);
    moved.tasks[2] = { ...(moved.tasks[2] as NodeTask), url: "http://gateway-own.test" };
    const seenMoved: string[] = [];
    const relayed = network(nodes, { seen: seenMoved, aliases: { "gateway-own.test": "h.test" } });
    expect(await run(nodes, moved, relayed)).toEqual([2n, 300n]);
    const shares = seenMoved.filter((line) => line.includes("/shares"));
    expect(shares.length).toBe(6);
    expect(shares.filter((line) => line.startsWith("gateway-own.test"))).toEqual([]);
  });

  it("ignores a share signed by a node that is not in the plan", async () => {
    const nodes = [makeNode("a", [1]), makeNode("b", [2]), helper()];
    const fetchVia = network(nodes);
    const p = plan(nodes);
    const intruder = generateEd25519KeyPair();
    const header = { jobId: p.jobId, from: "b", to: "a", length: 2 };
    const forged = signShare(
      { ...header, ...seal(encodeVector([1n, 1n]), nodes[0]!.encryptionKey, shareContext(header)) },
      intruder.privateKeyPem,
    );
    // The forged share arrives before the plan; it is held, then dropped when it fails to verify.
    const early = await fetchVia(`http://a.test/jobs/${p.jobId}/shares`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(forged),
    });
    expect(early.status).toBe(204);
    expect(await run(nodes, p, fetchVia)).toEqual([2n, 3n]);
  });

  it("fails the job at once, for everyone, when a participant sends a share of the wrong length", async () => {
    const nodes = [makeNode("a", [1]), makeNode("b", [2]), helper()];
    const fetchVia = network(nodes);
    const p = plan(nodes);
    const header = { jobId: p.jobId, from: "b", to: "a", length: 3 };
    const wrong = signShare(
      { ...header, ...seal(encodeVector([1n, 1n, 1n]), nodes[0]!.encryptionKey, shareContext(header)) },
      nodes[1]!.keys.privateKeyPem,
    );
    await fetchVia(`http://a.test/jobs/${p.jobId}/shares`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(wrong),
    });
    const failure = (await run(nodes, p, fetchVia).catch((e: Error) => e)) as Error;
    expect(failure.message).toMatch(/malformed/);
    expect(failure.message).not.toMatch(/no share from/); // refused at once, not waited out to the share timeout
  });

  it("answers malformed share messages with problem+json", async () => {
    const nodes = [makeNode("a", [1])];
    const response = await network(nodes)("http://a.test/jobs/j1/shares", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jobId: "j1", from: "b", to: "a", length: -1, signature: "x" }),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const body = (await response.json()) as { errors: { path: string }[] };
    expect(body.errors.map((e) => e.path)).toEqual(expect.arrayContaining(["length", "signature", "ciphertext"]));
  });

  describe("a node holds every plan to what its owner approved, even one the gateway signed", () => {
    const refusal = async (p: QueryPlan, nodes: TestNode[]) =>
      run(nodes, p).then(
        () => "computed",
        (e: Error) => e.message,
      );

    it("refuses a measured field outside the approved terms", async () => {
      const nodes = [makeNode("a", [1]), makeNode("b", [2]), helper()];
      const p = plan(nodes);
      p.tasks[0] = { ...ownerTask(p, 0), field: "secret" };
      expect(await refusal(p, nodes)).toMatch(/\(403\).*ds_a.secret is not in the approved fields/);
    });

    it("refuses a filter or group on a field outside the approved terms", async () => {
      const nodes = [makeNode("a", [1]), makeNode("b", [2]), helper()];
      const terms = termsFor(nodes, { fields: ["ds_a.amount", "ds_b.amount"] });
      const query: AggregateQuery = { aggregate: "count", filters: [{ field: "district", op: "=", value: "330102" }] };
      expect(await refusal(plan(nodes, { terms, query }), nodes)).toMatch(
        /ds_a.district is not in the approved fields/,
      );
    });

    it("refuses to release a high-level field without noise, whatever the gateway asks", async () => {
      const nodes = [makeNode("a", [1], { level: 3 }), makeNode("b", [2], { level: 1 }), helper()];
      expect(await refusal(plan(nodes), nodes)).toMatch(
        /level 3; this node releases it only with differential-privacy noise/,
      );
    });

    it("refuses ε above the approved ε per query", async () => {
      const nodes = [makeNode("a", [1]), makeNode("b", [2]), helper()];
      const query: AggregateQuery = { aggregate: "count", filters: [] };
      expect(await refusal(plan(nodes, { query, epsilonMicro: 2_000_000 }), nodes)).toMatch(
        /above the approved ε per query/,
      );
    });

    it("refuses terms that were changed after the owner signed them", async () => {
      const nodes = [makeNode("a", [1]), makeNode("b", [2]), helper()];
      const p = plan(nodes);
      p.terms = { ...p.terms, operatorId: "another_bank" };
      expect(await refusal(p, nodes)).toMatch(/signature over these terms does not verify/);
    });

    it("refuses an approval signed by someone other than the owner", async () => {
      const nodes = [makeNode("a", [1]), makeNode("b", [2]), helper()];
      const impostor = generateEd25519KeyPair();
      const p = plan(nodes, {}, (n, t) => ({
        kind: "signed",
        ownerId: n.ownerId,
        signature: signApproval(n.ownerId, t, impostor.privateKeyPem),
      }));
      expect(await refusal(p, nodes)).toMatch(/does not verify/);
    });

    it("refuses a plan outside the scenario's validity", async () => {
      const nodes = [makeNode("a", [1]), makeNode("b", [2]), helper()];
      const terms = termsFor(nodes, {
        validUntil: new Date(Date.now() - 1_000).toISOString(),
        validFrom: new Date(Date.now() - 60_000).toISOString(),
      });
      expect(await refusal(plan(nodes, { terms }), nodes)).toMatch(/valid from/);
    });

    it("refuses a shape the owner did not approve", async () => {
      const nodes = [makeNode("a", [1]), makeNode("b", [2]), helper()];
      expect(await refusal(plan(nodes, { terms: termsFor(nodes, { queryShapes: ["count"] }) }), nodes)).toMatch(
        /did not approve sum by mpc/,
      );
    });

    const rule = (n: TestNode, maxLevel: number) => ({
      ownerId: n.ownerId,
      operatorIds: ["bank"],
      maxLevel,
      computeModes: ["mpc" as const],
      queryShapes: ["sum" as const, "count" as const, "mean" as const, "variance" as const, "histogram" as const],
      minGroupSize: 1,
      maxEpsilonPerQueryMicro: 1_000_000,
    });
    const byRule = (maxLevel: number) => (n: TestNode) => {
      const content = rule(n, maxLevel);
      return {
        kind: "rule" as const,
        ownerId: n.ownerId,
        rule: content,
        signature: signRule(content, n.owner.privateKeyPem),
      };
    };

    it("accepts what the owner's signed auto-approval rule covers, judged on the node's own levels", async () => {
      const nodes = [makeNode("a", [5], { level: 1 }), makeNode("b", [6], { level: 1 }), helper()];
      expect(await run(nodes, plan(nodes, {}, byRule(2)))).toEqual([2n, 11n]);
      // A level-2 field is within a rule of level 2, and (from level 2) released only with noise.
      const restricted = [makeNode("a", [5], { level: 2 }), makeNode("b", [6], { level: 1 }), helper()];
      const noisy = { epsilonMicro: 500_000, query: { ...SUM, bounds: { min: 0, max: 10 } } };
      expect(await run(restricted, plan(restricted, noisy, byRule(2)))).toHaveLength(2);
      expect(await refusal(plan(restricted, {}, byRule(2)), restricted)).toMatch(
        /level 2; this node releases it only with differential-privacy noise/,
      );
    });

    it("refuses a rule whose level the node's own field exceeds, or a field with no level configured", async () => {
      const high = [makeNode("a", [5], { level: 3 }), makeNode("b", [6], { level: 1 }), helper()];
      const withNoise = { epsilonMicro: 500_000, query: { ...SUM, bounds: { min: 0, max: 10 } } };
      expect(await refusal(plan(high, withNoise, byRule(2)), high)).toMatch(
        /ds_a.amount is level 3, above the rule's 2/,
      );
      const unknown = [makeNode("a", [5]), makeNode("b", [6], { level: 1 }), helper()];
      expect(await refusal(plan(unknown, {}, byRule(2)), unknown)).toMatch(/no classification level/);
    });

    it("refuses a rule not signed by the owner, or one that does not list the operator", async () => {
      const nodes = [makeNode("a", [5], { level: 1 }), makeNode("b", [6], { level: 1 }), helper()];
      const forged = plan(nodes, {}, (n) => ({
        ...byRule(2)(n),
        signature: signRule(rule(n, 2), generateEd25519KeyPair().privateKeyPem),
      }));
      expect(await refusal(forged, nodes)).toMatch(/not signed by this node's owner/);
      const otherBank = plan(nodes, { terms: termsFor(nodes, { operatorId: "other_bank" }) }, byRule(2));
      expect(await refusal(otherBank, nodes)).toMatch(/does not list operator other_bank/);
    });

    it("withholds, at each node, every cell its own rows do not fill to the signed k", async () => {
      // a: 330102 ×4, 330105 ×3, 330106 ×3; b: 330102 ×1, 330105 ×4, 330106 ×0 (k = 3).
      const a = makeNode("a", Array(10).fill(10));
      const b = makeNode("b", [
        { amount: 1_000_000, district: "330102" },
        ...Array.from({ length: 4 }, () => ({ amount: 7, district: "330105" })),
      ]);
      const nodes = [a, b, helper()];
      const terms = termsFor(nodes, { minGroupSize: 3 });
      const query: AggregateQuery = {
        aggregate: "sum",
        filters: [],
        groupBy: { field: "district", values: DISTRICTS },
      };
      // b's lone enterprise in 330102 never reaches the total, whatever the gateway later releases.
      expect(await run(nodes, plan(nodes, { terms, query }))).toEqual([4n, 40n, 7n, 58n, 3n, 30n]);
    });

    it("refuses a replayed plan once the owner's signed quota or ε budget is spent at the node", async () => {
      const nodes = [makeNode("a", [5]), makeNode("b", [6]), helper()];
      const fetchVia = network(nodes);
      const quota = termsFor(nodes, { queryQuota: 2 });
      // The gateway is compromised: it signs the approved plan again and again under fresh job ids.
      expect(await run(nodes, plan(nodes, { terms: quota }), fetchVia)).toEqual([2n, 11n]);
      expect(await run(nodes, plan(nodes, { terms: quota }), fetchVia)).toEqual([2n, 11n]);
      const replay = run(nodes, plan(nodes, { terms: quota }), fetchVia);
      await expect(replay).rejects.toThrow(/\(403\).*has used the 2 queries its owner signed for/);
      // The operator's to know, not a platform fault: the gateway answers it 403, not 502.
      await expect(replay).rejects.toMatchObject({ code: "plan_not_approved" });

      const budget = termsFor(nodes, { scenarioId: "sc_2", epsilonBudgetMicro: 1_500_000 });
      const noisy = {
        terms: budget,
        scenarioId: "sc_2",
        epsilonMicro: 1_000_000,
        query: { ...SUM, bounds: { min: 0, max: 10 } },
      };
      await run(nodes, plan(nodes, noisy), fetchVia);
      await expect(run(nodes, plan(nodes, noisy), fetchVia)).rejects.toThrow(/ε 0.5 left of the 1.5 its owner signed/);
    });
  });
});
