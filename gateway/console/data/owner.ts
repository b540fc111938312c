import { asc, desc, eq, inArray } from "drizzle-orm";
import type { SettlementStatement } from "../../../ledger/index.js";
import { approvalMessage, scenarioTerms } from "../../../lib/approvals.js";
import { scenarioStatusAt } from "../../../policies/index.js";
import {
  type Db,
  datasets,
  type Scenario,
  scenarioApprovals,
  scenarios,
  settlementStatements,
} from "../../../store/index.js";
import { participantNames } from "./shared.js";

export async function ownerDatasets(db: Db, ownerId: string) {
  return db.select().from(datasets).where(eq(datasets.ownerId, ownerId)).orderBy(asc(datasets.id));
}

export interface OwnerScenario {
  scenario: Scenario;
  /** The status now (an approved scenario inside its window is active, one past it expired). */
  status: string;
  operatorName: string;
  myDecision: "pending" | "approved" | "rejected";
  /** Each owner's decision, by owner name. */
  decisions: { ownerId: string; ownerName: string; decision: string }[];
  /** What this owner signs to approve (only while its decision is pending). */
  approvalMessage?: string;
}

/** Every scenario that uses this owner's data, those waiting for its decision first, newest first. */
export async function ownerScenarios(db: Db, ownerId: string, now: Date): Promise<OwnerScenario[]> {
  const mine = await db
    .select({ scenario: scenarios })
    .from(scenarios)
    .innerJoin(scenarioApprovals, eq(scenarioApprovals.scenarioId, scenarios.id))
    .where(eq(scenarioApprovals.ownerId, ownerId))
    .orderBy(desc(scenarios.createdAt));
  if (mine.length === 0) return [];
  const approvals = await db
    .select()
    .from(scenarioApprovals)
    .where(
      inArray(
        scenarioApprovals.scenarioId,
        mine.map((m) => m.scenario.id),
      ),
    );
  const names = await participantNames(db, [
    ...mine.map((m) => m.scenario.operatorId),
    ...approvals.map((a) => a.ownerId),
  ]);
  const list = mine.map(({ scenario }) => {
    const own = approvals.filter((a) => a.scenarioId === scenario.id);
    const myDecision = own.find((a) => a.ownerId === ownerId)?.decision ?? "pending";
    const waiting =
      myDecision === "pending" && (scenario.status === "proposed" || scenario.status === "needs_reapproval");
    return {
      scenario,
      status: scenarioStatusAt(
        {
          status: scenario.status,
          validFrom: scenario.validFrom.toISOString(),
          validUntil: scenario.validUntil.toISOString(),
        },
        now.toISOString(),
      ),
      operatorName: names.get(scenario.operatorId) ?? scenario.operatorId,
      myDecision,
      decisions: own.map((a) => ({
        ownerId: a.ownerId,
        ownerName: names.get(a.ownerId) ?? a.ownerId,
        decision: a.decision,
      })),
      ...(waiting ? { approvalMessage: approvalMessage(ownerId, scenarioTerms(scenario)) } : {}),
    };
  });
  return [...list.filter((s) => s.approvalMessage), ...list.filter((s) => !s.approvalMessage)];
}

/** This owner's line of every settlement statement, oldest period first (zero where it earned nothing). */
export async function ownerRevenue(db: Db, ownerId: string) {
  const rows = await db.select().from(settlementStatements).orderBy(asc(settlementStatements.periodStart));
  return rows.map((row) => {
    const line = (row.statement as unknown as SettlementStatement).lines.find((l) => l.payeeId === ownerId);
    return {
      statementId: row.id,
      periodStart: row.periodStart,
      periodEnd: row.periodEnd,
      amountFen: line?.amountFen ?? 0,
      records: line?.records ?? 0,
    };
  });
}
