import { and, asc, eq, isNotNull, ne } from "drizzle-orm";
import { keccak256, toUtf8Bytes } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuditReport, anchorAuthorisationEvents, verifyAuthorisationEvent } from "../../ledger/index.js";
import { scenarioTerms } from "../../lib/approvals.js";
import { canonicalHash } from "../../lib/canonical-json.js";
import { authorisationEvents, datasets, grants, scenarios } from "../../store/index.js";
import { testDatabases } from "../support/databases.js";
import { startWorld, type World } from "../support/world.js";

const [{ open }] = testDatabases() as [ReturnType<typeof testDatabases>[number]];
const state = (name: string) => keccak256(toUtf8Bytes(name));

describe("the three tiers and every owner's approval, anchored in AuthorisationRegistry", () => {
  let world: World;
  let scenarioId: string;

  beforeAll(async () => {
    world = await startWorld(await open());
    scenarioId = await world.approvedScenario();
    expect(await anchorAuthorisationEvents(world.gw.database.db, world.gw.authorisationRegistry)).toBeGreaterThan(5);
    expect(await anchorAuthorisationEvents(world.gw.database.db, world.gw.authorisationRegistry)).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await world?.stop();
  });

  it("holds each dataset's registered content, each grant, the scenario's terms and state, and each owner's approval of them", async () => {
    const { db } = world.gw.database;
    const registry = world.gw.authorisationRegistry;
    for (const dataset of await db.select().from(datasets)) {
      expect(await registry.subjectOf("dataset", dataset.id)).toMatchObject({
        state: state("registered"),
        contentHash: `0x${dataset.contentHash}`,
      });
    }
    for (const grant of await db.select().from(grants)) {
      expect((await registry.subjectOf("grant", grant.id))?.state).toBe(state("granted"));
    }
    const [proposed] = await db
      .select()
      .from(authorisationEvents)
      .where(and(eq(authorisationEvents.subjectId, scenarioId), eq(authorisationEvents.action, "proposed")));
    const onChain = await registry.subjectOf("scenario", scenarioId);
    expect(onChain).toMatchObject({
      state: state("approved"),
      contentHash: `0x${(proposed?.details as { contentHash: string }).contentHash}`,
    });
    expect(onChain?.eventCount).toBeGreaterThanOrEqual(2);

    const [scenario] = await db.select().from(scenarios).where(eq(scenarios.id, scenarioId));
    const termsHash = `0x${canonicalHash(scenarioTerms(scenario!))}`;
    for (const { key } of world.owners) {
      expect(await registry.subjectOf("approval", `${scenarioId}/${key.id}`)).toMatchObject({
        state: state("approved"),
        contentHash: termsHash,
      });
    }
  });

  it("follows a suspension, and shows an event altered in the database as no longer matching", async () => {
    const { db } = world.gw.database;
    const registry = world.gw.authorisationRegistry;
    await world.client(world.owners[0]?.key).request("POST", `/scenarios/${scenarioId}/suspend`, {
      reason: "reviewing the purpose",
    });
    expect(await anchorAuthorisationEvents(db, registry)).toBe(1);
    expect((await registry.subjectOf("scenario", scenarioId))?.state).toBe(state("suspended"));

    const [suspension] = await db
      .select()
      .from(authorisationEvents)
      .where(and(eq(authorisationEvents.subjectId, scenarioId), eq(authorisationEvents.action, "suspended")));
    expect((await verifyAuthorisationEvent(registry, suspension!)).verified).toBe(true);
    await db.update(authorisationEvents).set({ reason: "routine" }).where(eq(authorisationEvents.id, suspension!.id));
    const [altered] = await db.select().from(authorisationEvents).where(eq(authorisationEvents.id, suspension!.id));
    expect(await verifyAuthorisationEvent(registry, altered!)).toMatchObject({ anchored: true, verified: false });

    // The regulator's audit of the day names it, and nothing else.
    const report = await world.client(world.regulator).request<AuditReport>("POST", "/audits", {
      periodStart: new Date(Date.now() - 3_600_000).toISOString(),
      periodEnd: new Date(Date.now() + 1_000).toISOString(),
    });
    expect(report.authorisationEvents).toBeGreaterThan(5);
    expect(report.findings).toEqual([
      expect.objectContaining({ kind: "authorisation_event_altered", eventId: suspension!.id }),
    ]);
  });

  it("names an anchored event deleted from the database, as the registry still holds it", async () => {
    const { db } = world.gw.database;
    // What the registry's logs say was anchored is every anchored event, read in windows or at once.
    const anchored = await db
      .select({ id: authorisationEvents.id })
      .from(authorisationEvents)
      .where(and(ne(authorisationEvents.subjectType, "participant"), isNotNull(authorisationEvents.anchorTxHash)))
      .orderBy(asc(authorisationEvents.seq));
    const since = new Date(Date.now() - 3_600_000);
    const logged = await world.gw.authorisationRegistry.eventIdsAnchoredSince(since);
    expect(logged).toEqual(anchored.map((e) => e.id));
    expect(await world.gw.authorisationRegistry.eventIdsAnchoredSince(since, 3)).toEqual(logged);
    const [grant] = await db
      .select()
      .from(authorisationEvents)
      .where(and(eq(authorisationEvents.subjectType, "grant"), eq(authorisationEvents.action, "granted")))
      .limit(1);
    expect(grant?.anchorTxHash).toBeTruthy();
    await db.delete(authorisationEvents).where(eq(authorisationEvents.id, grant!.id));
    const audit = (periodStart: Date) =>
      world.client(world.regulator).request<AuditReport>("POST", "/audits", {
        periodStart: periodStart.toISOString(),
        periodEnd: new Date(periodStart.getTime() + 3_600_000).toISOString(),
      });
    const report = await audit(new Date(Date.now() - 3_600_000));
    expect(report.findings.filter((f) => f.kind === "authorisation_event_deleted")).toEqual([
      expect.objectContaining({ eventId: grant!.id, detail: expect.stringMatching(/AuthorisationRegistry/) }),
    ]);
    expect(report.ok).toBe(false);
    // A period that began after the block that anchored it does not look for it.
    const provider = world.gw.chainProvider;
    const receipt = await provider.getTransactionReceipt(grant!.anchorTxHash as string);
    const anchoredAt = (await provider.getBlock(receipt!.blockNumber))!.timestamp;
    const later = await audit(new Date((anchoredAt + 1) * 1000));
    expect(later.findings.filter((f) => f.kind === "authorisation_event_deleted")).toEqual([]);
  });

  it("takes each owner's approval back to pending on chain when a dataset's new version asks them again", async () => {
    const { db } = world.gw.database;
    const registry = world.gw.authorisationRegistry;
    const owner = world.owners[0]!;
    const [dataset] = await db.select().from(datasets).where(eq(datasets.ownerId, owner.key.id));
    const fields = dataset!.fields as object[];
    const changed = await world.client(owner.key).updateDataset(dataset!.id, {
      name: dataset!.name,
      sector: dataset!.sector,
      category: dataset!.category,
      region: dataset!.region,
      keyField: dataset!.keyField,
      fields: [...fields, { name: "added_later", type: "string", level: 1 }],
    });
    expect(changed.scenariosNeedingReapproval).toContain(scenarioId);
    await anchorAuthorisationEvents(db, registry);
    expect((await registry.subjectOf("scenario", scenarioId))?.state).toBe(state("needs_reapproval"));
    expect((await registry.subjectOf("dataset", dataset!.id))?.state).toBe(state("new-version"));
    for (const { key } of world.owners) {
      expect((await registry.subjectOf("approval", `${scenarioId}/${key.id}`))?.state).toBe(state("pending"));
    }
  });
});
