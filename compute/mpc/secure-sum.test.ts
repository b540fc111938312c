import { createPrivateKey } from "node:crypto";
import { describe, expect, it } from "vitest";
import { type ScenarioTerms, signApproval, signRule } from "../../lib/approvals.js";
import { generateEd25519KeyPair } from "../../lib/ed25519.js";
import { ComputeError } from "../errors.js";
import { createNodeApp } from "../node/app.js";
import { createMemoryDataStore } from "../node/datastore.js";
import { type ApprovalProof, type QueryPlan, signPlan, signShare } from "../protocol.js";
import { runSecureSum } from "./secure-sum.js";

const gateway = generateEd25519KeyPair();

function makeNode(nodeId: string, values: bigint[], overrides: { gatewayPublicKey?: string; level?: number } = {}) {
  const keys = generateEd25519KeyPair();
  const owner = generateEd25519KeyPair();
  const store = createMemoryDataStore([
    {
      id: `ds_${nodeId}`,
      columns: [{ name: "amount", type: "integer", ...(overrides.level ? { level: overrides.level } : {}) }],
      rows: values.map((amount) => ({ amount })),
    },
  ]);
  return { nodeId, ownerId: `owner_${nodeId}`, keys, owner, url: `http://${nodeId}.test`, store, overrides };
}

type TestNode = ReturnType<typeof makeNode>;

/** Routes each node's HTTP calls to the in-process app of the node it addresses, recording the traffic. */
function network(nodes: TestNode[], options: { down?: string[]; seen?: string[] } = {}) {
  const apps = new Map<string, { fetch: (r: Request) => Response | Promise<Response> }>();
  const routedFetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const host = new URL(request.url).host;
    options.seen?.push(`${host} ${await request.clone().text()}`);
    const app = apps.get(host);
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
        shareTimeoutMs: 2_000,
        fetch: routedFetch,
      }),
    );
  }
  return routedFetch;
}

function termsFor(nodes: TestNode[], changes: Partial<ScenarioTerms> = {}): ScenarioTerms {
  return {
    scenarioId: "sc_1",
    operatorId: "bank",
    fields: nodes.map((n) => `ds_${n.nodeId}.amount`).sort(),
    computeModes: ["mpc"],
    queryShapes: ["sum"],
    minGroupSize: 10,
    epsilonPerQueryMicro: 0,
    validFrom: new Date(Date.now() - 60_000).toISOString(),
    validUntil: new Date(Date.now() + 3_600_000).toISOString(),
    ...changes,
  };
}

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
    version: 1,
    jobId: `job_${Math.random().toString(36).slice(2)}`,
    scenarioId: "sc_1",
    aggregate: "sum",
    decisionHash: "a".repeat(64),
    terms,
    tasks: nodes.map((n) => ({
      nodeId: n.nodeId,
      url: n.url,
      publicKey: n.keys.publicKey,
      datasetId: `ds_${n.nodeId}`,
      field: "amount",
      approval: approve(n, terms),
    })),
    issuedAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + 60_000).toISOString(),
    ...changes,
  };
}

describe("secure sum across owner nodes", () => {
  it("reconstructs the total of every node's local sum", async () => {
    const nodes = [makeNode("a", [100n, 250n]), makeNode("b", [-40n, 7n, 3n]), makeNode("c", [1_000_000_000_000n])];
    const total = await runSecureSum(signPlan(plan(nodes), gateway.privateKeyPem), { fetch: network(nodes) });
    expect(total).toBe(1_000_000_000_320n);
  });

  it("never puts a node's local sum on the wire", async () => {
    const nodes = [makeNode("a", [123_456_789n]), makeNode("b", [987_654_321n])];
    const seen: string[] = [];
    const total = await runSecureSum(signPlan(plan(nodes), gateway.privateKeyPem), { fetch: network(nodes, { seen }) });
    expect(total).toBe(1_111_111_110n);
    const traffic = seen.join("\n");
    expect(traffic).not.toContain("123456789");
    expect(traffic).not.toContain("987654321");
  });

  it("gives the same answer when the gateway repeats a job id", async () => {
    const nodes = [makeNode("a", [5n]), makeNode("b", [6n])];
    const fetchVia = network(nodes);
    const signed = signPlan(plan(nodes), gateway.privateKeyPem);
    expect(await runSecureSum(signed, { fetch: fetchVia })).toBe(11n);
    expect(await runSecureSum(signed, { fetch: fetchVia })).toBe(11n);
  });

  it("refuses a plan not signed by the trusted gateway", async () => {
    const nodes = [makeNode("a", [1n]), makeNode("b", [2n])];
    const impostor = generateEd25519KeyPair();
    const attempt = runSecureSum(signPlan(plan(nodes), impostor.privateKeyPem), { fetch: network(nodes) });
    await expect(attempt).rejects.toThrow(/refused the job \(401\)/);
  });

  it("refuses a plan altered after signing", async () => {
    const nodes = [makeNode("a", [1n]), makeNode("b", [2n])];
    const signed = signPlan(plan(nodes), gateway.privateKeyPem);
    const altered = {
      ...signed,
      plan: { ...signed.plan, tasks: signed.plan.tasks.map((t) => ({ ...t, field: "other" })) },
    };
    await expect(runSecureSum(altered, { fetch: network(nodes) })).rejects.toThrow(/401/);
  });

  it("refuses an expired plan", async () => {
    const nodes = [makeNode("a", [1n]), makeNode("b", [2n])];
    const expired = plan(nodes, { expiresAt: new Date(Date.now() - 1_000).toISOString() });
    await expect(runSecureSum(signPlan(expired, gateway.privateKeyPem), { fetch: network(nodes) })).rejects.toThrow(
      /expired/,
    );
  });

  it("fails the whole job when one node cannot be reached", async () => {
    const nodes = [makeNode("a", [1n]), makeNode("b", [2n])];
    const attempt = runSecureSum(signPlan(plan(nodes), gateway.privateKeyPem), {
      fetch: network(nodes, { down: ["b"] }),
    });
    await expect(attempt).rejects.toBeInstanceOf(ComputeError);
  });

  it("fails cleanly when a node does not hold the dataset named in the plan", async () => {
    const nodes = [makeNode("a", [1n]), makeNode("b", [2n])];
    const p = plan(nodes);
    p.tasks[1] = { ...(p.tasks[1] as QueryPlan["tasks"][number]), datasetId: "ds_missing" };
    await expect(runSecureSum(signPlan(p, gateway.privateKeyPem), { fetch: network(nodes) })).rejects.toThrow(
      /ds_missing/,
    );
  });

  it("refuses a share signed by a node that is not in the plan", async () => {
    const nodes = [makeNode("a", [1n]), makeNode("b", [2n])];
    const fetchVia = network(nodes);
    const p = plan(nodes);
    const intruder = generateEd25519KeyPair();
    const forged = signShare({ jobId: p.jobId, from: "b", to: "a", share: "1" }, intruder.privateKeyPem);
    // The forged share arrives before the plan; it is held, then dropped when it fails to verify.
    const early = await fetchVia(`http://a.test/jobs/${p.jobId}/shares`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(forged),
    });
    expect(early.status).toBe(204);
    expect(await runSecureSum(signPlan(p, gateway.privateKeyPem), { fetch: fetchVia })).toBe(3n);
  });

  it("answers malformed share messages with problem+json", async () => {
    const nodes = [makeNode("a", [1n])];
    const fetchVia = network(nodes);
    const response = await fetchVia("http://a.test/jobs/j1/shares", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jobId: "j1", from: "b", to: "a", share: "-5", signature: "x" }),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const body = (await response.json()) as { errors: { path: string }[] };
    expect(body.errors.map((e) => e.path)).toEqual(expect.arrayContaining(["share", "signature"]));
  });

  describe("a node holds every plan to what its owner approved, even one the gateway signed", () => {
    const refusal = async (p: QueryPlan, nodes: TestNode[]) =>
      runSecureSum(signPlan(p, gateway.privateKeyPem), { fetch: network(nodes) }).then(
        () => "computed",
        (e: Error) => e.message,
      );

    it("refuses a field outside the approved terms", async () => {
      const nodes = [makeNode("a", [1n]), makeNode("b", [2n])];
      const p = plan(nodes);
      p.tasks[0]!.field = "secret";
      expect(await refusal(p, nodes)).toMatch(/\(403\).*ds_a.secret is not in the approved fields/);
    });

    it("refuses terms that were changed after the owner signed them", async () => {
      const nodes = [makeNode("a", [1n]), makeNode("b", [2n])];
      const p = plan(nodes);
      p.terms = { ...p.terms, operatorId: "another_bank" };
      expect(await refusal(p, nodes)).toMatch(/signature over these terms does not verify/);
    });

    it("refuses an approval signed by someone other than the owner", async () => {
      const nodes = [makeNode("a", [1n]), makeNode("b", [2n])];
      const impostor = generateEd25519KeyPair();
      const p = plan(nodes, {}, (n, t) => ({
        kind: "signed",
        ownerId: n.ownerId,
        signature: signApproval(n.ownerId, t, impostor.privateKeyPem),
      }));
      expect(await refusal(p, nodes)).toMatch(/does not verify/);
    });

    it("refuses a plan outside the scenario's validity", async () => {
      const nodes = [makeNode("a", [1n]), makeNode("b", [2n])];
      const terms = termsFor(nodes, {
        validUntil: new Date(Date.now() - 1_000).toISOString(),
        validFrom: new Date(Date.now() - 60_000).toISOString(),
      });
      expect(await refusal(plan(nodes, { terms }), nodes)).toMatch(/valid from/);
    });

    it("refuses a shape the owner did not approve", async () => {
      const nodes = [makeNode("a", [1n]), makeNode("b", [2n])];
      expect(await refusal(plan(nodes, { terms: termsFor(nodes, { queryShapes: ["count"] }) }), nodes)).toMatch(
        /did not approve sum by mpc/,
      );
    });

    const rule = (n: TestNode, maxLevel: number) => ({
      ownerId: n.ownerId,
      operatorIds: ["bank"],
      maxLevel,
      computeModes: ["mpc" as const],
      queryShapes: ["sum" as const, "count" as const],
      minGroupSize: 10,
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
      const nodes = [makeNode("a", [5n], { level: 2 }), makeNode("b", [6n], { level: 1 })];
      expect(
        await runSecureSum(signPlan(plan(nodes, {}, byRule(2)), gateway.privateKeyPem), { fetch: network(nodes) }),
      ).toBe(11n);
    });

    it("refuses a rule whose level the node's own field exceeds, or a field with no level configured", async () => {
      const high = [makeNode("a", [5n], { level: 3 }), makeNode("b", [6n], { level: 1 })];
      expect(await refusal(plan(high, {}, byRule(2)), high)).toMatch(/ds_a.amount is level 3, above the rule's 2/);
      const unknown = [makeNode("a", [5n]), makeNode("b", [6n], { level: 1 })];
      expect(await refusal(plan(unknown, {}, byRule(2)), unknown)).toMatch(/no classification level/);
    });

    it("refuses a rule not signed by the owner, or one that does not list the operator", async () => {
      const nodes = [makeNode("a", [5n], { level: 1 }), makeNode("b", [6n], { level: 1 })];
      const forged = plan(nodes, {}, (n) => ({
        ...byRule(2)(n),
        signature: signRule(rule(n, 2), generateEd25519KeyPair().privateKeyPem),
      }));
      expect(await refusal(forged, nodes)).toMatch(/not signed by this node's owner/);
      const otherBank = plan(nodes, { terms: termsFor(nodes, { operatorId: "other_bank" }) }, byRule(2));
      expect(await refusal(otherBank, nodes)).toMatch(/does not list operator other_bank/);
    });
  });
});
