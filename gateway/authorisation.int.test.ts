import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scenarioTerms, signApproval } from "../lib/approvals.js";
import { createKeyFile, type KeyFile } from "../lib/key-file.js";
import { SluiceApiError } from "../sdk/index.js";
import { testDatabases } from "../test/support/databases.js";
import { startTestGateway, type TestGateway, YEAR_WINDOW } from "../test/support/gateway.js";

const refused = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof SluiceApiError)) throw new Error(`expected a refusal, got ${JSON.stringify(error)}`);
  return error;
};

describe.each(testDatabases())("three-tier authorisation through the gateway on $name", ({ open }) => {
  let gw: TestGateway;
  const bank = createKeyFile("bank");
  const taxOwner = createKeyFile("owner_tax");
  const siOwner = createKeyFile("owner_si");
  const taxDept = createKeyFile("dept_tax");
  const siDept = createKeyFile("dept_si");
  const regulator = createKeyFile("regulator");
  const as = (key: KeyFile) => gw.client(key);
  const fields = ["ds_tax.wages_fen", "ds_si.wages_fen"];
  const grantIds: Record<string, string> = {};
  const scenarioBody = {
    purpose: "Total wages reported to tax and to social insurance, for credit scoring",
    fields,
    computeModes: ["mpc"],
    queryShapes: ["sum"],
    minGroupSize: 20,
    epsilonPerQuery: 0.5,
    epsilonBudget: 5,
    queryQuota: 100,
    pricePerQueryFen: 500,
    platformShareBasisPoints: 1000,
    ...YEAR_WINDOW,
  };
  const explain = (scenarioId: string, epsilon = 0.1) =>
    as(bank).explainJob({ scenarioId, queryShape: "sum", fields, epsilon });

  beforeAll(async () => {
    gw = await startTestGateway(await open());
    const authority = as(gw.authority);
    await authority.admitParticipant({ id: bank.id, name: "Bank", role: "operator", publicKey: bank.publicKey });
    await authority.admitParticipant({
      id: regulator.id,
      name: "Regulator",
      role: "regulator",
      publicKey: regulator.publicKey,
    });
    for (const [key, name] of [
      [taxOwner, "Tax bureau"],
      [siOwner, "Social insurance fund"],
    ] as const) {
      await authority.admitParticipant({ id: key.id, name, role: "owner", publicKey: key.publicKey });
    }
    await authority.admitParticipant({
      id: taxDept.id,
      name: "Tax dept",
      role: "sector",
      sector: "tax",
      publicKey: taxDept.publicKey,
    });
    await authority.admitParticipant({
      id: siDept.id,
      name: "SI dept",
      role: "sector",
      sector: "social-insurance",
      publicKey: siDept.publicKey,
    });
    for (const [owner, id, sector, category, levels] of [
      [taxOwner, "ds_tax", "tax", "enterprise-tax", { wages_fen: 2, secret_fen: 4 }],
      [siOwner, "ds_si", "social-insurance", "enterprise-si", { wages_fen: 3 }],
    ] as const) {
      const node = await as(owner).registerNode({
        url: `http://127.0.0.1:9/${id}`,
        publicKey: createKeyFile("n").publicKey,
        encryptionKey: createKeyFile("x").publicKey,
      });
      await as(owner).registerDataset({
        id,
        name: id,
        nodeId: node.id,
        sector,
        category,
        region: "330100",
        keyField: "uscc",
        fields: [
          { name: "uscc", type: "string", level: 1 },
          ...Object.entries(levels).map(([name, level]) => ({ name, type: "integer", level })),
        ],
      });
    }
    // Two owners compute with the platform's helper as third party; without one no job could run.
    await authority.registerNode({
      url: "http://127.0.0.1:9/helper",
      publicKey: createKeyFile("h").publicKey,
      encryptionKey: createKeyFile("hx").publicKey,
      kind: "helper",
    });
    const grant = { operatorId: bank.id, regions: ["330100"], maxLevel: 3, ...YEAR_WINDOW };
    grantIds.comprehensive = (await authority.grant({ ...grant, sectors: ["tax", "social-insurance"] })).id;
    grantIds.tax = (await as(taxDept).grant({ ...grant, sectors: ["tax"], computeModes: ["mpc"] })).id;
    grantIds.si = (
      await as(siDept).grant({
        ...grant,
        sectors: ["social-insurance"],
        computeModes: ["mpc"],
        categories: ["enterprise-si"],
      })
    ).id;
  });
  afterAll(async () => {
    await gw?.stop();
    await gw?.database.close();
  });

  it("refuses a scenario wider than the grants and the rules, naming every excess", async () => {
    const error = await refused(
      as(bank).proposeScenario({
        ...scenarioBody,
        fields: [...fields, "ds_tax.secret_fen"],
        computeModes: ["mpc", "psi"],
        minGroupSize: 5,
        validUntil: new Date(Date.parse(YEAR_WINDOW.validUntil) + 86_400_000).toISOString(),
      }),
    );
    expect(error.status).toBe(422);
    const rules = (error.problem.details as { excess: { tier: string; rule: string }[] }).excess.map(
      (e) => `${e.tier}:${e.rule}`,
    );
    expect(rules).toEqual(
      expect.arrayContaining([
        "comprehensive:max-level",
        "sector:compute-modes",
        "comprehensive:validity",
        "classification:level-4-never",
        "classification:min-group-size",
      ]),
    );
  });

  it("takes a scenario through proposal, approval and activation, explaining each refusal in both languages", async () => {
    const scenario = await as(bank).proposeScenario(scenarioBody);
    expect(scenario.status).toBe("proposed");
    const before = await explain(scenario.id);
    expect(before).toMatchObject({
      allowed: false,
      decision: { effect: "deny", tier: "scenario", rule: "scenario-active" },
    });
    expect((before.decision.reason as { zh: string }).zh).toMatch(/待审批/);

    expect((await refused(as(regulator).decideScenario(scenario.id, { decision: "approve" }))).status).toBe(403);
    expect(
      (await refused(as(taxOwner).request("POST", `/scenarios/${scenario.id}/decisions`, { decision: "reject" })))
        .status,
    ).toBe(400);
    expect((await as(taxOwner).decideScenario(scenario.id, { decision: "approve" })).status).toBe("proposed");
    expect((await as(siOwner).decideScenario(scenario.id, { decision: "approve" })).status).toBe("active");
    expect(
      (await refused(as(siOwner).decideScenario(scenario.id, { decision: "reject", reason: "changed my mind" })))
        .status,
    ).toBe(409);

    const allowed = await explain(scenario.id);
    expect(allowed).toMatchObject({
      allowed: true,
      executable: true, // level 3 demands noise; the nodes add it
      decision: {
        effect: "allow",
        obligations: {
          minGroupSize: 20,
          epsilonMicro: 100_000,
          dpMechanism: "discrete-laplace",
          ownerIds: [siOwner.id, taxOwner.id],
        },
      },
    });
    const tooMuch = await explain(scenario.id, 0.6);
    expect(tooMuch.decision).toMatchObject({ effect: "deny", rule: "scenario-epsilon-per-query" });
    const noNoise = await explain(scenario.id, 0);
    expect(noNoise.decision).toMatchObject({ effect: "deny", tier: "classification", rule: "level-3-dp" });
  });

  it("accepts an approval only with the owner's signature over the scenario's current terms", async () => {
    const scenario = await as(bank).proposeScenario(scenarioBody);
    const path = `/scenarios/${scenario.id}/decisions`;
    const unsigned = await refused(as(taxOwner).request("POST", path, { decision: "approve" }));
    expect([unsigned.status, (unsigned.problem.errors as { path: string }[])[0]?.path]).toEqual([400, "signature"]);
    const terms = scenarioTerms({ ...(scenario as unknown as Parameters<typeof scenarioTerms>[0]), id: scenario.id });
    const byOther = signApproval(taxOwner.id, terms, siOwner.privateKeyPem);
    const forged = await refused(as(taxOwner).request("POST", path, { decision: "approve", signature: byOther }));
    expect([forged.status, forged.problem.type]).toEqual([
      422,
      "https://sluice.dev/problems/approval-signature-invalid",
    ]);
    const otherTerms = signApproval(taxOwner.id, { ...terms, minGroupSize: 1 }, taxOwner.privateKeyPem);
    expect(
      (await refused(as(taxOwner).request("POST", path, { decision: "approve", signature: otherTerms }))).status,
    ).toBe(422);
    const genuine = await as(taxOwner).request<{ approvals: { ownerId: string; signature: string | null }[] }>(
      "POST",
      path,
      {
        decision: "approve",
        signature: signApproval(taxOwner.id, terms, taxOwner.privateKeyPem),
      },
    );
    expect(genuine.approvals.find((a) => a.ownerId === taxOwner.id)?.signature).toMatch(/^[A-Za-z0-9_-]{86}$/);
  });

  it("accepts an auto-approval rule only with the owner's signature", async () => {
    const body = {
      maxLevel: 2,
      computeModes: ["mpc"],
      queryShapes: ["sum"],
      minGroupSize: 10,
      maxEpsilonPerQuery: 1,
      operatorIds: null,
    };
    const forged = await refused(
      as(taxOwner).request("POST", "/auto-approval-rules", { ...body, signature: "A".repeat(86) }),
    );
    expect(forged.status).toBe(422);
  });

  it("records a rejection with its reason", async () => {
    const scenario = await as(bank).proposeScenario(scenarioBody);
    const rejected = await as(siOwner).decideScenario(scenario.id, { decision: "reject", reason: "purpose too broad" });
    expect(rejected.status).toBe("rejected");
    const { events } = await as(regulator).request<{
      events: { action: string; reason: string | null; actorId: string }[];
    }>("GET", `/scenarios/${scenario.id}/events`);
    expect(events.map((e) => e.action)).toEqual(["proposed", "owner-rejected", "rejected"]);
    expect(events[1]).toMatchObject({ actorId: siOwner.id, reason: "purpose too broad" });
  });

  it("sends scenarios back for re-approval when a dataset's schema or levels change", async () => {
    const scenario = await as(bank).proposeScenario(scenarioBody);
    await as(taxOwner).decideScenario(scenario.id, { decision: "approve" });
    await as(siOwner).decideScenario(scenario.id, { decision: "approve" });
    const current = await as(siOwner).request<Record<string, unknown>>("GET", "/datasets/ds_si");
    const content = {
      name: current.name,
      sector: current.sector,
      category: current.category,
      region: current.region,
      keyField: current.keyField,
    };

    const same = await as(siOwner).updateDataset("ds_si", { ...content, fields: current.fields });
    expect([same.dataset.version, same.scenariosNeedingReapproval]).toEqual([1, []]);

    const changed = await as(siOwner).updateDataset("ds_si", {
      ...content,
      fields: [...(current.fields as object[]), { name: "district", type: "string", level: 1 }],
    });
    expect(changed.dataset.version).toBe(2);
    expect(changed.scenariosNeedingReapproval).toContain(scenario.id);
    expect((await as(bank).getScenario(scenario.id)).status).toBe("needs_reapproval");
    expect((await explain(scenario.id)).decision).toMatchObject({ effect: "deny", rule: "scenario-active" });
    const { versions } = await as(regulator).request<{ versions: { version: number; contentHash: string }[] }>(
      "GET",
      "/datasets/ds_si/versions",
    );
    expect(versions.map((v) => v.version)).toEqual([1, 2]);
    expect(versions[0]?.contentHash).not.toBe(versions[1]?.contentHash);

    expect((await refused(as(taxOwner).updateDataset("ds_si", { ...content, fields: current.fields }))).status).toBe(
      403,
    );
    await as(taxOwner).decideScenario(scenario.id, { decision: "approve" });
    const again = await as(siOwner).decideScenario(scenario.id, { decision: "approve" });
    expect(again).toMatchObject({ status: "active", datasetVersions: { ds_si: 2, ds_tax: 1 } });
  });

  it("suspends, resumes and revokes grants, each only by its grantor or the authority", async () => {
    const scenario = await as(bank).proposeScenario(scenarioBody);
    await as(taxOwner).decideScenario(scenario.id, { decision: "approve" });
    await as(siOwner).decideScenario(scenario.id, { decision: "approve" });
    expect((await explain(scenario.id)).allowed).toBe(true);

    await as(taxDept).changeGrant(grantIds.tax!, "suspend", "audit in progress");
    expect((await explain(scenario.id)).decision).toMatchObject({ tier: "sector", rule: "sector-covers" });
    expect((await refused(as(siDept).changeGrant(grantIds.tax!, "resume", "not mine"))).status).toBe(403);
    expect((await refused(as(bank).changeGrant(grantIds.tax!, "resume", "please"))).status).toBe(403);
    await as(taxDept).changeGrant(grantIds.tax!, "resume", "audit passed");
    expect((await explain(scenario.id)).allowed).toBe(true);

    const detail = await as(regulator).request<{ events: { action: string; reason: string }[] }>(
      "GET",
      `/grants/${grantIds.tax}`,
    );
    expect(detail.events.map((e) => [e.action, e.reason])).toEqual([
      ["granted", null],
      ["suspended", "audit in progress"],
      ["resumed", "audit passed"],
    ]);
    expect((await refused(as(taxDept).changeGrant(grantIds.tax!, "resume", "again"))).status).toBe(409);
  });

  it("suspends and revokes scenarios as the parties may", async () => {
    const scenario = await as(bank).proposeScenario(scenarioBody);
    await as(taxOwner).decideScenario(scenario.id, { decision: "approve" });
    await as(siOwner).decideScenario(scenario.id, { decision: "approve" });

    expect((await as(taxOwner).changeScenario(scenario.id, "suspend", "unexpected volume")).status).toBe("suspended");
    expect((await explain(scenario.id)).decision).toMatchObject({ rule: "scenario-active" });
    expect((await refused(as(bank).changeScenario(scenario.id, "resume", "please"))).status).toBe(403);
    expect((await refused(as(siOwner).changeScenario(scenario.id, "resume", "not my suspension"))).status).toBe(403);
    expect((await as(taxOwner).changeScenario(scenario.id, "resume", "explained")).status).toBe("active");
    expect((await as(bank).changeScenario(scenario.id, "revoke", "no longer needed")).status).toBe("revoked");
    expect((await refused(as(gw.authority).changeScenario(scenario.id, "resume", "undo"))).status).toBe(409);
    expect((await refused(as(regulator).changeScenario(scenario.id, "suspend", "x"))).status).toBe(403);
  });

  it("applies an owner's auto-approval rule like a manual approval, and stops when it is switched off", async () => {
    const rule = await as(taxOwner).addAutoApprovalRule({
      operatorIds: [bank.id],
      maxLevel: 2,
      computeModes: ["mpc"],
      queryShapes: ["count", "sum"],
      minGroupSize: 10,
      maxEpsilonPerQuery: 1,
    });
    const scenario = await as(bank).proposeScenario(scenarioBody);
    const tax = (scenario.approvals as { ownerId: string; decision: string; decidedBy: string }[]).find(
      (a) => a.ownerId === taxOwner.id,
    );
    expect(tax).toMatchObject({ decision: "approved", decidedBy: `auto-rule:${rule.id}` });
    expect(
      (scenario.approvals as { ownerId: string; decision: string }[]).find((a) => a.ownerId === siOwner.id)?.decision,
    ).toBe("pending");
    const { events } = await as(regulator).request<{ events: { action: string; actorId: string }[] }>(
      "GET",
      `/scenarios/${scenario.id}/events`,
    );
    expect(events).toContainEqual(
      expect.objectContaining({ action: "owner-approved", actorId: `auto-rule:${rule.id}` }),
    );

    const taxOnly = await as(bank).proposeScenario({
      ...scenarioBody,
      minGroupSize: 20,
      queryShapes: ["sum"],
      fields: ["ds_tax.wages_fen"],
      computeModes: ["mpc"],
    });
    // Only the tax bureau is involved, so its rule alone makes the scenario usable.
    expect(taxOnly.status).toBe("active");

    expect((await refused(as(siOwner).request("DELETE", `/auto-approval-rules/${rule.id}`))).status).toBe(404);
    await as(taxOwner).request("DELETE", `/auto-approval-rules/${rule.id}`);
    const later = await as(bank).proposeScenario(scenarioBody);
    expect((later.approvals as { decision: string }[]).every((a) => a.decision === "pending")).toBe(true);
  });

  it("refuses every tier action to the wrong role", async () => {
    const grant = {
      operatorId: bank.id,
      regions: ["330100"],
      sectors: ["tax"],
      computeModes: ["mpc"],
      maxLevel: 2,
      ...YEAR_WINDOW,
    };
    expect((await refused(as(bank).grant(grant))).status).toBe(403);
    expect((await refused(as(taxOwner).grant(grant))).status).toBe(403);
    expect((await refused(as(taxDept).grant({ ...grant, sectors: ["social-insurance"] }))).status).toBe(403);
    expect((await refused(as(taxOwner).proposeScenario(scenarioBody))).status).toBe(403);
    expect(
      (
        await refused(
          as(regulator).addAutoApprovalRule({
            maxLevel: 1,
            computeModes: ["mpc"],
            queryShapes: ["sum"],
            minGroupSize: 10,
            maxEpsilonPerQuery: 0,
          }),
        )
      ).status,
    ).toBe(403);
    expect((await refused(as(taxOwner).explainJob({ scenarioId: "sc_x", queryShape: "sum", fields }))).status).toBe(
      403,
    );
    expect((await refused(as(bank).request("GET", "/ledger/records"))).status).toBe(403);
    expect((await refused(as(bank).request("GET", "/decisions/abc"))).status).toBe(403);
  });

  it("answers malformed tier documents with problem+json naming the field", async () => {
    const error = await refused(
      as(bank).proposeScenario({ ...scenarioBody, epsilonPerQuery: 9, epsilonBudget: 1, queryShapes: ["telepathy"] }),
    );
    expect(error.status).toBe(400);
    expect((error.problem.errors as { path: string }[]).map((e) => e.path)).toEqual(
      expect.arrayContaining(["queryShapes.0"]),
    );
    const shares = await refused(
      as(bank).proposeScenario({ ...scenarioBody, ownerShareBasisPoints: { owner_tax: 5000 } }),
    );
    expect(shares.problem.errors).toEqual([
      {
        path: "ownerShareBasisPoints",
        message: "the platform's and the owners' shares must add up to 10000 basis points",
      },
    ]);
  });
});
