import { and, asc, eq, gte, inArray, isNull, lt, ne, or, sql } from "drizzle-orm";
import { mapConcurrently } from "../lib/map-concurrently.js";
import { anchorBatches, type Db, decisions, jobs, settlementStatements, usageRecords } from "../store/index.js";
import { auditAuthorisationEvents } from "./audit-events.js";
import type { AuthorisationRegistryClient } from "./authorisation-registry.js";
import type { LedgerClient } from "./client.js";
import type { LedgerPool } from "./ledger-pool.js";
import type { ParticipantRegistryClient } from "./participant-registry.js";
import { recordPagesWrittenIn, settlementRecordOf } from "./period-records.js";
import { RECORD_ALTERED, RECORD_FORGED, RECORD_HASH_ALTERED, RECORD_INTACT } from "./record-check.js";
import { createSettlementAccumulator, type ScenarioShares, type SettlementStatement } from "./settlement.js";
import type { SettlementClient } from "./settlement-client.js";

// The regulator's audit of a period: every stored usage record against its own hash, the gateway's
// signature and the Merkle root anchored on chain; records deleted or inserted after anchoring
// found by their leaf positions; each record's policy decision replayed from its stored inputs;
// each settlement statement recomputed from the records and checked against the chain.
//
// It streams: records are read a page at a time (a batch's pages, then the unanchored ones), checked
// on the audit pool's worker threads, and dropped; what it keeps is the leaf hashes of the batches
// in flight, the findings, and the settlement totals per payee. Memory does not grow with the period.

export const FINDING_KINDS = [
  "record_altered",
  "record_forged",
  "record_deleted",
  "record_inserted",
  "record_unanchored",
  "record_fee_mismatch",
  "batch_root_mismatch",
  "batch_total_mismatch",
  "batch_not_on_chain",
  "decision_missing",
  "decision_not_reproduced",
  "settlement_mismatch",
  "settlement_total_mismatch",
  "settlement_not_on_chain",
  "authorisation_event_altered",
  "authorisation_event_deleted",
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export interface AuditFinding {
  kind: FindingKind;
  recordId?: string;
  jobId?: string;
  batchId?: string;
  leafIndex?: number;
  statementId?: string;
  eventId?: string;
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
  /** Authorisation events of the period checked against their registries (anchored ones). */
  authorisationEvents: number;
  findings: AuditFinding[];
  /** True when nothing was found: every record verified, every batch and statement on chain as stored. */
  ok: boolean;
}

export interface AuditDeps {
  db: Db;
  ledger: LedgerClient;
  settlement?: SettlementClient;
  /** With these, the period's authorisation events are checked against what was anchored. */
  participantRegistry?: ParticipantRegistryClient;
  authorisationRegistry?: AuthorisationRegistryClient;
  gatewayPublicKey: string;
  sharesOf: (scenarioIds: string[]) => Promise<Map<string, ScenarioShares>>;
  /** Hashing and signature checks on worker threads. */
  pool: LedgerPool;
  /** Records read per query. */
  pageSize?: number;
}

const PAGE_SIZE = 5_000;
/**
 * Batches audited at once: while one waits for the database or the chain, another's records are
 * on the workers. Each holds a page and one batch's leaf hashes, so memory stays bounded.
 */
const BATCHES_IN_FLIGHT = 3;

interface StoredRecord {
  id: string;
  jobId: string;
  batchId: string | null;
  leafIndex: number | null;
  recordHash: string;
  gatewaySignature: string;
  text: string;
  decisionHash: string;
  /** Where the page ends, for the next page's keyset. */
  position: string;
}

const storedRecordColumns = {
  id: usageRecords.id,
  jobId: usageRecords.jobId,
  batchId: usageRecords.batchId,
  leafIndex: usageRecords.leafIndex,
  recordHash: usageRecords.recordHash,
  gatewaySignature: usageRecords.gatewaySignature,
  text: sql<string>`(${usageRecords.record})::text`,
  decisionHash: sql<string>`coalesce(${usageRecords.record}->>'decisionHash', '')`,
};

interface StoredDecisionText {
  hash: string;
  /** The JSON text of `{ request, state, decision }`. */
  text: string;
}

/** A page of records with the decisions they name, read together. */
interface Page {
  rows: StoredRecord[];
  decisions: StoredDecisionText[];
}

async function readDecisions(db: Db, rows: StoredRecord[]): Promise<StoredDecisionText[]> {
  const hashes = [...new Set(rows.map((r) => r.decisionHash).filter((h) => h !== ""))];
  if (hashes.length === 0) return [];
  return db
    .select({
      hash: decisions.hash,
      text: sql<string>`jsonb_build_object('request', ${decisions.request}, 'state', ${decisions.state}, 'decision', ${decisions.decision})::text`,
    })
    .from(decisions)
    .where(inArray(decisions.hash, hashes));
}

/**
 * Pages of records with their decisions, the next page (records and decisions) already being read
 * while the caller's workers check this one.
 */
async function* prefetched(db: Db, source: AsyncGenerator<StoredRecord[]>): AsyncGenerator<Page> {
  const read = async (): Promise<IteratorResult<Page>> => {
    const next = await source.next();
    if (next.done) return { done: true, value: undefined };
    return { done: false, value: { rows: next.value, decisions: await readDecisions(db, next.value) } };
  };
  let next = read();
  for (;;) {
    const current = await next;
    if (current.done) return;
    next = read();
    // Awaited on the next turn; a failure meanwhile must not count as unhandled.
    next.catch(() => {});
    yield current.value;
  }
}

/** Splits a page in two, so both workers take half. */
function halves<T>(items: T[]): T[][] {
  const half = Math.ceil(items.length / 2);
  return [items.slice(0, half), items.slice(half)].filter((part) => part.length > 0);
}

/** A batch's stored records in leaf order (those without a leaf position first), a page at a time. */
async function* batchPages(deps: AuditDeps, batchId: string): AsyncGenerator<StoredRecord[]> {
  const order = sql`coalesce(${usageRecords.leafIndex}, -1)`;
  let after: { leaf: number; id: string } | null = null;
  for (;;) {
    const cursor = after as { leaf: number; id: string } | null;
    const page = await deps.db
      .select({ ...storedRecordColumns, position: sql<string>`${order}::text` })
      .from(usageRecords)
      .where(
        and(
          eq(usageRecords.batchId, batchId),
          cursor ? sql`(${order}, ${usageRecords.id}) > (${cursor.leaf}, ${cursor.id})` : undefined,
        ),
      )
      .orderBy(order, asc(usageRecords.id))
      .limit(deps.pageSize ?? PAGE_SIZE);
    if (page.length === 0) return;
    yield page;
    const last = page[page.length - 1] as StoredRecord;
    after = { leaf: Number(last.position), id: last.id };
    if (page.length < (deps.pageSize ?? PAGE_SIZE)) return;
  }
}

/** The period's records that are in no anchored batch (not yet anchored, or in a batch still being sent), a page at a time. */
async function* unanchoredPages(deps: AuditDeps, period: { start: Date; end: Date }): AsyncGenerator<StoredRecord[]> {
  let after: { position: string; id: string } | null = null;
  const sending = deps.db
    .select({ id: anchorBatches.id })
    .from(anchorBatches)
    .where(ne(anchorBatches.status, "anchored"));
  for (;;) {
    const cursor = after as { position: string; id: string } | null;
    const page = await deps.db
      .select({ ...storedRecordColumns, position: sql<string>`(${usageRecords.createdAt})::text` })
      .from(usageRecords)
      .where(
        and(
          gte(usageRecords.createdAt, period.start),
          lt(usageRecords.createdAt, period.end),
          or(isNull(usageRecords.batchId), inArray(usageRecords.batchId, sending)),
          cursor
            ? sql`(${usageRecords.createdAt}, ${usageRecords.id}) > (${cursor.position}::timestamptz, ${cursor.id})`
            : undefined,
        ),
      )
      .orderBy(asc(usageRecords.createdAt), asc(usageRecords.id))
      .limit(deps.pageSize ?? PAGE_SIZE);
    if (page.length === 0) return;
    yield page;
    const last = page[page.length - 1] as StoredRecord;
    after = { position: last.position, id: last.id };
    if (page.length < (deps.pageSize ?? PAGE_SIZE)) return;
  }
}

/** One record's check, as the page's workers returned it. */
interface CheckedRecord {
  row: StoredRecord;
  status: number;
  /** The fee its content states (NaN when it states none). */
  fee: number;
}

/**
 * A page's records checked and their decisions replayed, both on the pool at once: each record's
 * content hashed and compared with the chain's copy of its leaf (`chainLeafOf`: anchored records)
 * or with its stored hash and the gateway's signature (the rest), and its fee with the price its
 * decision set.
 */
async function auditPage(
  deps: AuditDeps,
  { rows: page, decisions: stored }: Page,
  findings: AuditFinding[],
  chainLeafOf: (row: StoredRecord) => string | null = () => null,
): Promise<{ checked: CheckedRecord[]; replayed: number }> {
  const checks = Promise.all(
    halves(page).map((part) =>
      deps.pool.checkRecords(
        part.map((r) => r.text),
        part.map((r) => r.recordHash),
        part.map(chainLeafOf),
        part.map((r) => r.gatewaySignature),
        deps.gatewayPublicKey,
      ),
    ),
  );
  const verdicts = await replayDecisionsOf(deps.pool, stored);
  const results = await checks;
  const status = results.flatMap((part) => [...part.status]);
  const fees = results.flatMap((part) => [...part.fees]);
  let replayed = 0;
  const checked = page.map((row, i) => {
    const record = { row, status: status[i] as number, fee: fees[i] as number };
    const verdict = verdicts.get(row.decisionHash);
    if (!verdict) {
      findings.push({
        kind: "decision_missing",
        recordId: row.id,
        detail: `decision ${row.decisionHash} is not stored`,
      });
      return record;
    }
    replayed++;
    if (!verdict.verified) findings.push({ kind: "decision_not_reproduced", recordId: row.id, detail: verdict.detail });
    else if (verdict.priceFen !== null && record.fee !== verdict.priceFen) {
      findings.push({
        kind: "record_fee_mismatch",
        recordId: row.id,
        jobId: row.jobId,
        ...(row.batchId ? { batchId: row.batchId } : {}),
        detail: `it charges ${record.fee} fen; its decision priced the job at ${verdict.priceFen}`,
      });
    }
    return record;
  });
  return { checked, replayed };
}

const STATUS_FINDINGS: Record<number, { kind: FindingKind; detail: string } | undefined> = {
  [RECORD_ALTERED]: { kind: "record_altered", detail: "its content no longer matches its hash" },
  [RECORD_FORGED]: {
    kind: "record_forged",
    detail: "its content and hash were changed together: they are not what the chain anchored (or the gateway signed)",
  },
  [RECORD_HASH_ALTERED]: {
    kind: "record_altered",
    detail: "its stored hash was changed; its content is still what the chain anchored",
  },
};

/** The finding a damaged record gets, or null for an intact one. */
function statusFinding({ row, status }: CheckedRecord): AuditFinding | null {
  const finding = STATUS_FINDINGS[status];
  if (!finding) return null;
  return {
    kind: finding.kind,
    recordId: row.id,
    jobId: row.jobId,
    ...(row.batchId ? { batchId: row.batchId } : {}),
    ...(row.leafIndex !== null ? { leafIndex: row.leafIndex } : {}),
    detail: finding.detail,
  };
}

/**
 * One anchored batch against the chain's own copy of it: each stored record against the leaf the
 * chain holds at its position (read from the anchoring transaction, not from the database), every
 * leaf accounted for, the records' fees against the total the chain anchored, and the chain's
 * leaves against its root.
 */
async function auditBatch(deps: AuditDeps, batch: typeof anchorBatches.$inferSelect) {
  const findings: AuditFinding[] = [];
  const onChain = await deps.ledger.getBatch(batch.id);
  const chainLeaves = onChain ? await deps.ledger.readBatchLeaves(batch.id, onChain) : null;
  if (!onChain) {
    findings.push({ kind: "batch_not_on_chain", batchId: batch.id, detail: "the chain holds no batch with this id" });
  } else if (onChain.root !== batch.root) {
    findings.push({
      kind: "batch_root_mismatch",
      batchId: batch.id,
      detail: `the stored root ${batch.root} is not the anchored ${onChain.root}`,
    });
  }
  const count = chainLeaves?.length ?? 0;
  const slot = (row: StoredRecord) => {
    const index = row.leafIndex ?? -1;
    return chainLeaves && index >= 0 && index < count ? index : null;
  };
  // Each leaf position's claimants: the one whose content is the chain's leaf, and any others.
  const matched: (string | undefined)[] = new Array(count);
  const others = new Map<number, CheckedRecord[]>();
  let records = 0;
  let replayed = 0;
  let fees = 0;
  for await (const page of prefetched(deps.db, batchPages(deps, batch.id))) {
    records += page.rows.length;
    const leafOf = (row: StoredRecord) => {
      const index = slot(row);
      return index === null ? null : (chainLeaves?.[index] ?? null);
    };
    const audited = await auditPage(deps, page, findings, leafOf);
    replayed += audited.replayed;
    for (const checked of audited.checked) {
      fees += Number.isFinite(checked.fee) ? checked.fee : 0;
      const index = slot(checked.row);
      if (!chainLeaves) {
        const finding = statusFinding(checked);
        if (finding) findings.push(finding);
        continue;
      }
      if (index === null) {
        findings.push({
          kind: "record_inserted",
          recordId: checked.row.id,
          jobId: checked.row.jobId,
          batchId: batch.id,
          leafIndex: checked.row.leafIndex ?? -1,
          detail: `leaf ${checked.row.leafIndex ?? "(none)"} is not one of the ${count} the chain anchored for this batch`,
        });
        const finding = statusFinding(checked);
        if (finding) findings.push(finding);
        continue;
      }
      const isTheLeaf = checked.status === RECORD_INTACT || checked.status === RECORD_HASH_ALTERED;
      if (isTheLeaf && matched[index] === undefined) {
        matched[index] = checked.row.id;
        const finding = statusFinding(checked);
        if (finding) findings.push(finding);
      } else {
        others.set(index, [...(others.get(index) ?? []), checked]);
      }
    }
  }
  if (chainLeaves) {
    for (let leafIndex = 0; leafIndex < count; leafIndex++) {
      const claimants = others.get(leafIndex) ?? [];
      // With the chain's record present, any other claimant of its position was put there.
      const [first, ...extra] = claimants;
      if (matched[leafIndex] === undefined && first) {
        const finding = statusFinding(first);
        if (finding) findings.push(finding);
      }
      for (const inserted of matched[leafIndex] === undefined ? extra : claimants) {
        findings.push({
          kind: "record_inserted",
          recordId: inserted.row.id,
          jobId: inserted.row.jobId,
          batchId: batch.id,
          leafIndex,
          detail: `leaf ${leafIndex} of the anchored batch belongs to another record`,
        });
      }
      if (matched[leafIndex] === undefined && !first) {
        findings.push({
          kind: "record_deleted",
          batchId: batch.id,
          leafIndex,
          detail: `leaf ${leafIndex} of the anchored batch is missing from the database`,
        });
      }
    }
  }
  if (onChain && BigInt(fees) !== onChain.feeTotalFen) {
    findings.push({
      kind: "batch_total_mismatch",
      batchId: batch.id,
      detail: `its stored records charge ${fees} fen in all; the chain anchored ${onChain.feeTotalFen}`,
    });
  }
  if (onChain && chainLeaves && count > 0 && (await deps.pool.recordTreeRoot(chainLeaves)) !== onChain.root) {
    findings.push({
      kind: "batch_root_mismatch",
      batchId: batch.id,
      detail: "the leaves the chain holds do not build the root it anchored",
    });
  }
  return { records, replayed, findings };
}

/** The page's stored decisions replayed on the pool, by hash. */
async function replayDecisionsOf(pool: LedgerPool, stored: StoredDecisionText[]) {
  const replays = await Promise.all(
    halves(stored).map((part) =>
      pool.replayDecisions(
        part.map((d) => d.text),
        part.map((d) => d.hash),
      ),
    ),
  );
  return new Map(replays.flat().map((v) => [v.hash, v] as const));
}

/** A stored statement recomputed from its period's records, streamed. */
async function recomputeStatement(
  deps: AuditDeps,
  row: typeof settlementStatements.$inferSelect,
): Promise<SettlementStatement | null> {
  const statement = createSettlementAccumulator({
    start: row.periodStart.toISOString(),
    end: row.periodEnd.toISOString(),
  });
  const shares = new Map<string, ScenarioShares>();
  try {
    for await (const page of recordPagesWrittenIn(deps.db, { start: row.periodStart, end: row.periodEnd })) {
      const records = page.map(settlementRecordOf);
      const unknown = [...new Set(records.map((r) => r.scenarioId).filter((id) => !shares.has(id)))];
      if (unknown.length) for (const [id, s] of await deps.sharesOf(unknown)) shares.set(id, s);
      for (const record of records) {
        statement.add(
          record,
          shares.get(record.scenarioId) ?? { platformShareBasisPoints: 10_000, ownerShareBasisPoints: null },
        );
      }
    }
    return statement.finish();
  } catch {
    return null;
  }
}

async function auditSettlements(deps: AuditDeps, period: { start: Date; end: Date }, findings: AuditFinding[]) {
  const statements = await deps.db
    .select()
    .from(settlementStatements)
    .where(and(gte(settlementStatements.periodStart, period.start), lt(settlementStatements.periodStart, period.end)));
  for (const row of statements) {
    const recomputed = await recomputeStatement(deps, row);
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
      } else if (
        recomputed &&
        (BigInt(recomputed.feeTotalFen) !== onChain.feeTotalFen || recomputed.recordCount !== onChain.recordCount)
      ) {
        findings.push({
          kind: "settlement_total_mismatch",
          statementId: row.id,
          detail: `the period's records charge ${recomputed.feeTotalFen} fen over ${recomputed.recordCount} records; the chain anchored ${onChain.feeTotalFen} fen over ${onChain.recordCount}`,
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
    )
    .orderBy(asc(anchorBatches.periodStart), asc(anchorBatches.id));
  let records = 0;
  let decisionsReplayed = 0;
  for (const audited of await mapConcurrently(batches, BATCHES_IN_FLIGHT, (batch) => auditBatch(deps, batch))) {
    records += audited.records;
    decisionsReplayed += audited.replayed;
    findings.push(...audited.findings);
  }
  for await (const page of prefetched(deps.db, unanchoredPages(deps, period))) {
    records += page.rows.length;
    const audited = await auditPage(deps, page, findings);
    decisionsReplayed += audited.replayed;
    for (const checked of audited.checked) {
      const finding = statusFinding(checked);
      if (finding) findings.push(finding);
      findings.push({ kind: "record_unanchored", recordId: checked.row.id, detail: "not yet in an anchored batch" });
    }
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
  const statements = await auditSettlements(deps, period, findings);
  const authorisationEventsChecked = await auditAuthorisationEvents(deps, period, findings);
  return {
    periodStart: period.start.toISOString(),
    periodEnd: period.end.toISOString(),
    checkedAt: now.toISOString(),
    records,
    batches: batches.length,
    statements,
    decisionsReplayed,
    authorisationEvents: authorisationEventsChecked,
    findings,
    ok: findings.every((f) => f.kind === "record_unanchored"),
  };
}
