import { and, asc, eq, gt, inArray, lt } from "drizzle-orm";
import {
  anchorStoredStatement,
  createSettlementAccumulator,
  lineProof,
  recordPagesWrittenIn,
  type ScenarioShares,
  type SettlementStatement,
  settlementRecordOf,
  verifyLine,
} from "../../ledger/index.js";
import { canonicalHash } from "../../lib/canonical-json.js";
import { ConflictError, ForbiddenError, NotFoundError, SluiceError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import {
  EXCLUSION_VIOLATION,
  scenarios,
  settlementStatements,
  sqlStateOf,
  type UsageRecordRow,
} from "../../store/index.js";
import type { GatewayDeps } from "../deps.js";

interface Caller {
  id: string;
  role: string;
}

/**
 * Settles a period: every usage record written in [start, end), each checked against its stored
 * hash (a record altered since it was written is not paid on), split by its scenario's shares,
 * summed per payee; the statement is stored and its root anchored on chain. Periods never overlap:
 * the check below names the statement in the way, and the database's exclusion constraint holds
 * when two settlements race.
 */
export async function createSettlement(deps: GatewayDeps, caller: Caller, period: { start: Date; end: Date }) {
  const now = deps.now?.() ?? new Date();
  if (!(period.start < period.end)) throw new SluiceError("validation_failed", "the period must end after it starts");
  if (period.end > now) throw new SluiceError("validation_failed", "a period can be settled only once it has ended");
  const [overlap] = await deps.db
    .select({ id: settlementStatements.id })
    .from(settlementStatements)
    .where(and(lt(settlementStatements.periodStart, period.end), gt(settlementStatements.periodEnd, period.start)));
  if (overlap) throw new ConflictError(`statement ${overlap.id} already settles part of this period`);
  // Streamed a page at a time: a period of any size settles in memory bounded by its payees.
  const accumulator = createSettlementAccumulator({ start: period.start.toISOString(), end: period.end.toISOString() });
  for await (const page of periodRecordsWithShares(deps, period, "settling it"))
    for (const { record, shares } of page) accumulator.add(record, shares);
  const statement = accumulator.finish();
  if (statement.recordCount === 0)
    throw new SluiceError("not_executable", "no usage record was written in this period");
  // 12 random bytes: the id fits the contract's bytes32 key.
  const id = newId("stl", 12);
  try {
    await deps.db.insert(settlementStatements).values({
      id,
      periodStart: period.start,
      periodEnd: period.end,
      recordCount: statement.recordCount,
      feeTotalFen: statement.feeTotalFen,
      statement: statement as unknown as Record<string, unknown>,
      root: statement.root,
      recordsHash: statement.recordsHash,
      createdBy: caller.id,
    });
  } catch (error) {
    // Two settlements of overlapping periods at once: the database lets one commit.
    if (sqlStateOf(error) === EXCLUSION_VIOLATION) {
      throw new ConflictError("another statement settling part of this period was committed meanwhile", {
        cause: error,
      });
    }
    throw error;
  }
  const anchor = await anchorStatement(deps, id, statement);
  return { id, ...statement, anchor };
}

/** Anchors a stored statement, or finds it already on chain (a crash after sending); records the receipt. */
async function anchorStatement(deps: GatewayDeps, id: string, statement: SettlementStatement) {
  if (!deps.settlement) return { status: "not_anchored" as const, reason: "no settlement contract configured" };
  if (deps.anchoringLeader && !deps.anchoringLeader()) {
    return { status: "pending" as const, reason: "stored; the replica that anchors sends it within seconds" };
  }
  try {
    const { txHash } = await anchorStoredStatement(deps.db, deps.settlement, id, statement, deps.now?.() ?? new Date());
    return { status: "anchored" as const, txHash };
  } catch (error) {
    deps.logger?.warn({ err: error, statementId: id }, "anchoring a settlement statement failed");
    return { status: "pending" as const, reason: error instanceof Error ? error.message : String(error) };
  }
}

/** Whether the chain holds this statement's root. */
async function chainCheck(deps: GatewayDeps, id: string, root: string) {
  if (!deps.settlement) return null;
  const onChain = await deps.settlement.getStatement(id).catch(() => null);
  return { anchored: onChain !== null, rootMatches: onChain?.root === root };
}

/**
 * A statement as the caller may see it: the authority and regulators see every line; an owner
 * sees its own line with the Merkle proof it checks against the anchored root.
 */
export async function getSettlement(deps: GatewayDeps, caller: Caller, id: string) {
  const [row] = await deps.db.select().from(settlementStatements).where(eq(settlementStatements.id, id));
  if (!row) throw new NotFoundError("settlement statement", id);
  const statement = row.statement as unknown as SettlementStatement;
  const chain = await chainCheck(deps, id, statement.root);
  const header = {
    id,
    periodStart: statement.periodStart,
    periodEnd: statement.periodEnd,
    recordCount: statement.recordCount,
    feeTotalFen: statement.feeTotalFen,
    recordsHash: statement.recordsHash,
    root: statement.root,
    txHash: row.txHash,
    chain,
  };
  if (caller.role === "authority" || caller.role === "regulator") return { ...header, lines: statement.lines };
  if (caller.role !== "owner")
    throw new ForbiddenError("settlement statements are for the authority, regulators and owners");
  const line = statement.lines.find((l) => l.payeeId === caller.id);
  if (!line) return { ...header, lines: [], proof: null, verified: null };
  const proof = lineProof(statement, caller.id);
  return { ...header, lines: [line], proof, verified: verifyLine(statement.root, line, proof) };
}

export async function listSettlements(deps: GatewayDeps) {
  const rows = await deps.db
    .select({
      id: settlementStatements.id,
      periodStart: settlementStatements.periodStart,
      periodEnd: settlementStatements.periodEnd,
      recordCount: settlementStatements.recordCount,
      feeTotalFen: settlementStatements.feeTotalFen,
      root: settlementStatements.root,
      txHash: settlementStatements.txHash,
    })
    .from(settlementStatements)
    .orderBy(asc(settlementStatements.periodStart));
  return rows.map((r) => ({ ...r, periodStart: r.periodStart.toISOString(), periodEnd: r.periodEnd.toISOString() }));
}

/**
 * The usage records written in [start, end) as settlement reads them, a page at a time, each with
 * its scenario's shares; a record altered since it was written stops the reading (409), naming it
 * and `before` what the period must be audited.
 */
export async function* periodRecordsWithShares(
  deps: GatewayDeps,
  period: { start: Date; end: Date },
  before: string,
): AsyncGenerator<{ row: UsageRecordRow; record: ReturnType<typeof settlementRecordOf>; shares: ScenarioShares }[]> {
  const known = new Map<string, ScenarioShares>();
  for await (const page of recordPagesWrittenIn(deps.db, period)) {
    const altered = page.find((r) => canonicalHash(r.record) !== r.recordHash);
    if (altered)
      throw new ConflictError(
        `usage record ${altered.id} no longer matches its hash: audit the period before ${before}`,
      );
    const records = page.map(settlementRecordOf);
    const unknown = [...new Set(records.map((r) => r.scenarioId).filter((id) => !known.has(id)))];
    for (const [id, s] of await scenarioShares(deps, unknown)) known.set(id, s);
    yield records.map((record, i) => {
      const shares = known.get(record.scenarioId);
      if (!shares) throw new SluiceError("internal", `scenario ${record.scenarioId} of a usage record is missing`);
      return { row: page[i] as UsageRecordRow, record, shares };
    });
  }
}

/** Each scenario's agreed revenue shares, as settlement applies them. */
export async function scenarioShares(deps: GatewayDeps, scenarioIds: string[]): Promise<Map<string, ScenarioShares>> {
  if (scenarioIds.length === 0) return new Map();
  const rows = await deps.db.select().from(scenarios).where(inArray(scenarios.id, scenarioIds));
  return new Map(
    rows.map((s) => [
      s.id,
      { platformShareBasisPoints: s.platformShareBasisPoints, ownerShareBasisPoints: s.ownerShareBasisPoints },
    ]),
  );
}
