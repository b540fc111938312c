import { and, asc, eq, gte, inArray, isNull, lt } from "drizzle-orm";
import { canonicalHash } from "../lib/canonical-json.js";
import { replayDecision, type StoredDecision } from "../policies/index.js";
import { anchorBatches, type Db, decisions, jobs, settlementStatements, usageRecords } from "../store/index.js";
import type { LedgerClient } from "./client.js";
import { buildFastRecordTree } from "./fast-merkle.js";
import { recordsWrittenIn, settlementRecordOf } from "./period-records.js";
import { type ScenarioShares, type SettlementStatement, settle } from "./settlement.js";
import type { SettlementClient } from "./settlement-client.js";
import { verifyUsageRecordSignature } from "./usage-record.js";

// The regulator's audit of a period: every stored usage record against its own hash, the gateway's
// signature and the Merkle root anchored on chain; records deleted or inserted after anchoring
// found by their leaf positions; each record's policy decision replayed from its stored inputs;
// each settlement statement recomputed from the records and checked against the chain.

export type FindingKind =
  | "record_altered"
  | "record_forged"
  | "record_deleted"
  | "record_inserted"
  | "record_unanchored"
  | "batch_root_mismatch"
  | "batch_not_on_chain"
  | "decision_missing"
  | "decision_not_reproduced"
  | "settlement_mismatch"
  | "settlement_not_on_chain";

export interface AuditFinding {
  kind: FindingKind;
  recordId?: string;
  jobId?: string;
  batchId?: string;
  leafIndex?: number;
  statementId?: string;
  detail: string;
}

export interface AuditReport {
  periodStart: string;
  periodEnd: string;
  checkedAt: string;
  records: number;
  batches: number;
  statements: number;
  decisionsReplayed: number;
  findings: AuditFinding[];
  /** True when nothing was found: every record verified, every batch and statement on chain as stored. */
  ok: boolean;
}

export interface AuditDeps {
  db: Db;
  ledger: LedgerClient;
  settlement?: SettlementClient;
  gatewayPublicKey: string;
  sharesOf: (scenarioIds: string[]) => Promise<Map<string, ScenarioShares>>;
}

type RecordRow = typeof usageRecords.$inferSelect;

/** The record's own integrity: its content against its hash, and the gateway's signature over it. */
function recordFinding(row: RecordRow, gatewayPublicKey: string): AuditFinding | null {
  if (canonicalHash(row.record) !== row.recordHash) {
    return {
      kind: "record_altered",
      recordId: row.id,
      jobId: row.jobId,
      detail: "its content no longer matches its stored hash",
    };
  }
  if (!verifyUsageRecordSignature(row.record, row.gatewaySignature, gatewayPublicKey)) {
    return {
      kind: "record_forged",
      recordId: row.id,
      jobId: row.jobId,
      detail: "the gateway's signature does not verify over its content",
    };
  }
  return null;
}

async function auditBatch(deps: AuditDeps, batch: typeof anchorBatches.$inferSelect, findings: AuditFinding[]) {
  const members = await deps.db
    .select()
    .from(usageRecords)
    .where(eq(usageRecords.batchId, batch.id))
    .orderBy(asc(usageRecords.leafIndex), asc(usageRecords.id));
  const onChain = await deps.ledger.getBatch(batch.id);
  if (!onChain) {
    findings.push({ kind: "batch_not_on_chain", batchId: batch.id, detail: "the chain holds no batch with this id" });
    return { members, rebuiltRootDiffers: false };
  }
  if (onChain.root !== batch.root) {
    findings.push({
      kind: "batch_root_mismatch",
      batchId: batch.id,
      detail: `the stored root ${batch.root} is not the anchored ${onChain.root}`,
    });
  }
  const seen = new Set<number>();
  for (const row of members) {
    const index = row.leafIndex ?? -1;
    if (index < 0 || index >= onChain.recordCount || seen.has(index)) {
      findings.push({
        kind: "record_inserted",
        recordId: row.id,
        jobId: row.jobId,
        batchId: batch.id,
        leafIndex: index,
        detail: `leaf ${index} is not one of the ${onChain.recordCount} the chain anchored for this batch`,
      });
      continue;
    }
    seen.add(index);
  }
  const missing = Array.from({ length: onChain.recordCount }, (_, i) => i).filter((i) => !seen.has(i));
  for (const leafIndex of missing) {
    findings.push({
      kind: "record_deleted",
      batchId: batch.id,
      leafIndex,
      detail: `leaf ${leafIndex} of the anchored batch is missing from the database`,
    });
  }
  // With every leaf present and every record intact, the rebuilt root must be the anchored one.
  const intact = members.filter((r) => r.leafIndex !== null && r.leafIndex < onChain.recordCount);
  let rebuiltRootDiffers = false;
  if (missing.length === 0 && intact.length === onChain.recordCount) {
    const root = buildFastRecordTree(intact.map((r) => canonicalHash(r.record))).root;
    rebuiltRootDiffers = root !== onChain.root;
  }
  return { members, rebuiltRootDiffers };
}

async function auditDecisions(db: Db, rows: RecordRow[], findings: AuditFinding[]): Promise<number> {
  const hashes = [...new Set(rows.map((r) => String(r.record.decisionHash)))];
  const stored = hashes.length ? await db.select().from(decisions).where(inArray(decisions.hash, hashes)) : [];
  const byHash = new Map(stored.map((d) => [d.hash, d]));
  let replayed = 0;
  for (const row of rows) {
    const hash = String(row.record.decisionHash);
    const decision = byHash.get(hash);
    if (!decision) {
      findings.push({ kind: "decision_missing", recordId: row.id, detail: `decision ${hash} is not stored` });
      continue;
    }
    replayed++;
    const replay = replayDecision(decision as unknown as StoredDecision, hash);
    if (!replay.verified) {
      findings.push({
        kind: "decision_not_reproduced",
        recordId: row.id,
        detail: `hashMatches=${replay.hashMatches} rulesPublished=${replay.rulesPublished} decisionReproduced=${replay.decisionReproduced}`,
      });
    }
  }
  return replayed;
}

async function auditSettlements(deps: AuditDeps, period: { start: Date; end: Date }, findings: AuditFinding[]) {
  const statements = await deps.db
    .select()
    .from(settlementStatements)
    .where(and(gte(settlementStatements.periodStart, period.start), lt(settlementStatements.periodStart, period.end)));
  for (const row of statements) {
    const records = await recordsWrittenIn(deps.db, { start: row.periodStart, end: row.periodEnd });
    const shares = await deps.sharesOf([...new Set(records.map((r) => String(r.record.scenarioId)))]);
    let recomputed: SettlementStatement | null = null;
    try {
      recomputed = settle(
        { start: row.periodStart.toISOString(), end: row.periodEnd.toISOString() },
        records.map(settlementRecordOf),
        (id) => shares.get(id) ?? { platformShareBasisPoints: 10_000, ownerShareBasisPoints: null },
      );
    } catch {}
    if (!recomputed || recomputed.root !== row.root || recomputed.recordsHash !== row.recordsHash) {
      findings.push({
        kind: "settlement_mismatch",
        statementId: row.id,
        detail:
          "the statement no longer follows from the period's records (altered, deleted or inserted since it was settled)",
      });
    }
    if (deps.settlement) {
      const onChain = await deps.settlement.getStatement(row.id).catch(() => null);
      if (!onChain || onChain.root !== row.root) {
        findings.push({
          kind: "settlement_not_on_chain",
          statementId: row.id,
          detail: "the chain does not hold this statement's root",
        });
      }
    }
  }
  return statements.length;
}

/** Audits the usage records written in [start, end), their batches, decisions and settlements. */
export async function auditPeriod(
  deps: AuditDeps,
  period: { start: Date; end: Date },
  now = new Date(),
): Promise<AuditReport> {
  const findings: AuditFinding[] = [];
  const batches = await deps.db
    .select()
    .from(anchorBatches)
    .where(
      and(
        lt(anchorBatches.periodStart, period.end),
        gte(anchorBatches.periodEnd, period.start),
        eq(anchorBatches.status, "anchored"),
      ),
    );
  const byId = new Map<string, RecordRow>();
  const rootsDiffering: string[] = [];
  for (const batch of batches) {
    const { members, rebuiltRootDiffers } = await auditBatch(deps, batch, findings);
    for (const row of members) byId.set(row.id, row);
    if (rebuiltRootDiffers) rootsDiffering.push(batch.id);
  }
  const loose = await recordsWrittenIn(deps.db, period);
  for (const row of loose) byId.set(row.id, row);
  const rows = [...byId.values()];
  const explained = new Set<string>();
  for (const row of rows) {
    const finding = recordFinding(row, deps.gatewayPublicKey);
    if (finding) findings.push({ ...finding, ...(row.batchId ? { batchId: row.batchId } : {}) });
    if (finding && row.batchId) explained.add(row.batchId);
    if (!row.batchId)
      findings.push({ kind: "record_unanchored", recordId: row.id, detail: "not yet in an anchored batch" });
  }
  // A record deleted is named by its job: a finished job must have one.
  const finished = await deps.db
    .select({ id: jobs.id })
    .from(jobs)
    .leftJoin(usageRecords, eq(usageRecords.jobId, jobs.id))
    .where(
      and(
        eq(jobs.status, "succeeded"),
        isNull(usageRecords.id),
        gte(jobs.finishedAt, period.start),
        lt(jobs.finishedAt, period.end),
      ),
    );
  // One missing leaf and one job without its record belong together; with several, which job held
  // which leaf cannot be told, and each is reported on its own.
  const gaps = findings.filter((f) => f.kind === "record_deleted");
  const [onlyGap] = gaps;
  const [onlyJob] = finished;
  if (onlyGap && onlyJob && gaps.length === 1 && finished.length === 1) onlyGap.jobId = onlyJob.id;
  else {
    for (const job of finished) {
      findings.push({ kind: "record_deleted", jobId: job.id, detail: "a finished job whose usage record is missing" });
    }
  }
  // Every leaf present, yet the records do not rebuild the anchored root, and no record explains it.
  for (const batchId of rootsDiffering.filter((id) => !explained.has(id))) {
    findings.push({
      kind: "batch_root_mismatch",
      batchId,
      detail: "the records as stored do not rebuild the anchored root",
    });
  }
  const decisionsReplayed = await auditDecisions(deps.db, rows, findings);
  const statements = await auditSettlements(deps, period, findings);
  return {
    periodStart: period.start.toISOString(),
    periodEnd: period.end.toISOString(),
    checkedAt: now.toISOString(),
    records: rows.length,
    batches: batches.length,
    statements,
    decisionsReplayed,
    findings,
    ok: findings.every((f) => f.kind === "record_unanchored"),
  };
}
