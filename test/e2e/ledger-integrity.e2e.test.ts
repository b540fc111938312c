import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AuditReport,
  anchorPending,
  anchorPendingStatements,
  type SettlementClient,
  type SettlementStatement,
  sealUsageRecord,
  type UsageRecord,
} from "../../ledger/index.js";
import { anchorBatches, settlementStatements, usageRecords } from "../../store/index.js";
import { testDatabases } from "../support/databases.js";
import { startWorld, type World } from "../support/world.js";

const [{ open }] = testDatabases() as [ReturnType<typeof testDatabases>[number]];

// What an insider can do to the ledger's database, with or without the gateway's signing key, and
// how the chain's own copy of every leaf and every total lets the audit name it.
describe("the ledger holds even against an insider with the gateway's signing key", () => {
  let world: World;
  let scenarioId: string;
  const row = async (id: string) =>
    (await world.gw.database.db.select().from(usageRecords).where(eq(usageRecords.id, id)))[0];
  const audit = (period: { periodStart: string; periodEnd: string }) =>
    world.client(world.regulator).request<AuditReport>("POST", "/audits", period);
  const named = (report: AuditReport, kind: string) =>
    report.findings
      .filter((f) => f.kind === kind)
      .map((f) => f.recordId ?? f.batchId ?? f.statementId)
      .sort();

  /** Runs `count` jobs of 500 fen and returns their record ids and the period that holds them. */
  async function jobs(count: number) {
    const start = new Date(Date.now() - 1);
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      ids.push((await world.wageSum(scenarioId)).usageRecordId);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { ids, period: { periodStart: start.toISOString(), periodEnd: new Date().toISOString() } };
  }
  /** The record re-signed by someone holding the gateway's key, with its fee changed: a perfect forgery. */
  async function resign(id: string, feeFen: number) {
    const stored = await row(id);
    const sealed = sealUsageRecord(
      { ...(stored?.record as UsageRecord), feeFen },
      world.gw.deps.gatewayKeys.privateKey,
    );
    await world.gw.database.db
      .update(usageRecords)
      .set({ record: sealed.record, recordHash: sealed.recordHash, gatewaySignature: sealed.signature })
      .where(eq(usageRecords.id, id));
  }
  const anchor = (rejected: string[] = []) =>
    anchorPending({
      db: world.gw.database.db,
      ledger: world.gw.ledger,
      gatewayPublicKey: world.gw.deps.gatewayKeys.publicKey,
      onRejected: (ids) => rejected.push(...ids),
    });

  beforeAll(async () => {
    world = await startWorld(await open());
    scenarioId = await world.approvedScenario({ queryQuota: 100 });
  }, 120_000);
  afterAll(async () => {
    await world?.stop();
  });

  it("names the exact record an insider re-signed with the gateway's key after it was anchored", async () => {
    const { ids, period } = await jobs(4);
    const batch = await anchor();
    const victim = ids[2] as string;
    await resign(victim, 2);
    const report = await audit(period);
    expect(report.ok).toBe(false);
    expect(named(report, "record_forged")).toEqual([victim]);
    expect(named(report, "record_altered")).toEqual([]);
    // The chain's copy of the leaves still builds its root: only the batch's total, and the fee its decision set, show the change.
    expect(named(report, "batch_root_mismatch")).toEqual([]);
    expect(named(report, "batch_total_mismatch")).toEqual([batch?.batchId]);
    expect(report.findings.find((f) => f.kind === "batch_total_mismatch")?.detail).toMatch(/1502 fen.*2000/);
    expect(named(report, "record_fee_mismatch")).toEqual([victim]);
    expect(report.findings).toHaveLength(3);
  });

  it("anchors what the records' signed fees say, never a column beside them, and refuses a record changed before anchoring", async () => {
    const { ids, period } = await jobs(3);
    const [altered, resigned] = ids as [string, string];
    // Without the key: the fee changed in place while the record waits in the outbox.
    const waiting = await row(altered);
    await world.gw.database.db
      .update(usageRecords)
      .set({ record: { ...(waiting?.record ?? {}), feeFen: 1 } })
      .where(eq(usageRecords.id, altered));
    // With the key: the record re-signed with a lower fee before it was anchored.
    await resign(resigned, 7);
    const rejected: string[] = [];
    const batch = await anchor(rejected);
    expect(rejected).toEqual([altered]);
    expect(batch?.recordCount).toBe(2);
    const onChain = await world.gw.ledger.getBatch(batch?.batchId as string);
    expect(onChain?.feeTotalFen).toBe(507n);
    const [stored] = await world.gw.database.db
      .select()
      .from(anchorBatches)
      .where(eq(anchorBatches.id, batch?.batchId as string));
    expect(stored?.feeTotalFen).toBe(507);

    const report = await audit(period);
    expect(named(report, "record_altered")).toEqual([altered]);
    expect(named(report, "record_unanchored")).toEqual([altered]);
    // The forgery with the key went on chain as signed, but its decision priced the job at 500.
    expect(named(report, "record_fee_mismatch")).toEqual([altered, resigned].sort());
    expect(named(report, "record_forged")).toEqual([]);
    expect(named(report, "batch_total_mismatch")).toEqual([]);
  });

  it("names a settlement whose totals on chain are not those of the period's records", async () => {
    const { period } = await jobs(2);
    await anchor();
    const real = world.gw.deps.settlement as SettlementClient;
    const send = real.anchorStatement;
    real.anchorStatement = () => Promise.reject(new Error("the chain is down"));
    let id: string;
    try {
      id = (await world.client().request<{ id: string; anchor: { status: string } }>("POST", "/settlements", period))
        .id;
    } finally {
      real.anchorStatement = send;
    }
    // While it waits for the chain, someone lowers the statement's total in the database: it is not anchored so.
    const db = world.gw.database.db;
    const [pending] = await db.select().from(settlementStatements).where(eq(settlementStatements.id, id));
    const statement = pending?.statement as unknown as SettlementStatement;
    await db
      .update(settlementStatements)
      .set({ statement: { ...statement, feeTotalFen: 1 } as unknown as Record<string, unknown> })
      .where(eq(settlementStatements.id, id));
    await expect(anchorPendingStatements(db, real)).rejects.toThrow(/lines add up to 1000 fen, not the 1/);
    expect(await real.getStatement(id)).toBeNull();
    // A gateway that anchors another total anyway is named by the audit, which recomputes it from the records.
    await db
      .update(settlementStatements)
      .set({ statement: statement as unknown as Record<string, unknown> })
      .where(eq(settlementStatements.id, id));
    await real.anchorStatement(id, { ...statement, feeTotalFen: 1 });
    const report = await audit(period);
    expect(report.findings.map((f) => `${f.kind}:${f.statementId}`)).toEqual([`settlement_total_mismatch:${id}`]);
    expect(report.findings[0]?.detail).toMatch(/1000 fen over 2 records; the chain anchored 1 fen over 2/);
  });
});
