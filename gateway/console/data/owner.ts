import { asc, eq, inArray } from "drizzle-orm";
import type { SettlementStatement } from "../../../ledger/index.js";
import { approvalMessage, scenarioTerms } from "../../../lib/approvals.js";
import { type Db, datasets, type Participant, type Scenario, settlementStatements } from "../../../store/index.js";
import { scenarioStatusNow, scenariosVisibleTo } from "../../services/scenarios.js";
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
  /** Each field's classification level (`dataset.field`), as its dataset was registered. */
  fieldLevels: ReadonlyMap<string, number>;
  /** Participants' names by id: the operator, the owners. */
  names: ReadonlyMap<string, string>;
}

/** The registered level of every `dataset.field` of these datasets. */
async function fieldLevelsOf(db: Db, datasetIds: string[]): Promise<Map<string, number>> {
  const unique = [...new Set(datasetIds)];
  if (unique.length === 0) return new Map();
  const rows = await db
    .select({ id: datasets.id, fields: datasets.fields })
    .from(datasets)
    .where(inArray(datasets.id, unique));
  return new Map(rows.flatMap((row) => row.fields.map((f) => [`${row.id}.${f.name}`, f.level] as const)));
}

/** Every scenario that uses this owner's data, those waiting for its decision first, newest first. */
export async function ownerScenarios(db: Db, owner: Participant, now: Date): Promise<OwnerScenario[]> {
  const mine = await scenariosVisibleTo(db, owner);
  const ownerId = owner.id;
  const [names, fieldLevels] = await Promise.all([
    participantNames(db, [
      ...mine.map((m) => m.scenario.operatorId),
      ...mine.flatMap((m) => m.approvals.map((a) => a.ownerId)),
    ]),
    fieldLevelsOf(
      db,
      mine.flatMap((m) => m.scenario.fields.map((f) => f.slice(0, f.indexOf(".")))),
    ),
  ]);
  const list = mine.map(({ scenario, approvals }) => {
    const myDecision = approvals.find((a) => a.ownerId === ownerId)?.decision ?? "pending";
    const waiting =
      myDecision === "pending" && (scenario.status === "proposed" || scenario.status === "needs_reapproval");
    return {
      scenario,
      status: scenarioStatusNow(scenario, now),
      operatorName: names.get(scenario.operatorId) ?? scenario.operatorId,
      myDecision,
      decisions: approvals.map((a) => ({
        ownerId: a.ownerId,
        ownerName: names.get(a.ownerId) ?? a.ownerId,
        decision: a.decision,
      })),
      fieldLevels,
      names,
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
