import { createHash } from "node:crypto";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";

// Revenue sharing for a period: each usage record's fee is split between the platform and the
// owners whose data it used, in integer fen, so that the parts add up to the fee exactly.
//
//   platform: fee × platformShareBasisPoints / 10000
//   owner o:  fee × (10000 − platformShareBasisPoints) / 10000 × w_o / Σ w,
//             w_o = (the scenario's agreed basis points for o, or 1 when it set none) × o's contribution units
//
// An owner with no contribution units gets nothing from that record; when no owner of a record
// contributed, its owners share their part equally. The exact shares are rounded down and the fen
// left over go, one each, to the largest fractional parts, ties to the payee id that sorts first
// (Hamilton's method): deterministic, so anyone holding the records recomputes the same statement.

export const PLATFORM = "platform";

export interface SettlementRecord {
  recordId: string;
  scenarioId: string;
  feeFen: number;
  owners: { ownerId: string; contributionUnits: number }[];
}

export interface ScenarioShares {
  platformShareBasisPoints: number;
  /** The agreed ratio of each owner, in basis points; null: by contribution units alone. */
  ownerShareBasisPoints: Record<string, number> | null;
}

export interface StatementLine {
  payeeId: string;
  role: "platform" | "owner";
  amountFen: number;
  records: number;
}

export interface SettlementStatement {
  periodStart: string;
  periodEnd: string;
  recordCount: number;
  feeTotalFen: number;
  lines: StatementLine[];
  /** SHA-256 of the canonical list of record ids the statement covers, in order. */
  recordsHash: string;
  /** Root of the OpenZeppelin standard Merkle tree over (payeeId, amountFen), one leaf per line. */
  root: string;
}

export class SettlementError extends Error {}

/** One record's fee split into integer fen, summing exactly to the fee. */
export function splitFee(record: SettlementRecord, shares: ScenarioShares): Map<string, number> {
  if (!Number.isSafeInteger(record.feeFen) || record.feeFen < 0) {
    throw new SettlementError(`record ${record.recordId}: the fee must be a non-negative integer of fen`);
  }
  const platformBp = BigInt(shares.platformShareBasisPoints);
  const fee = BigInt(record.feeFen);
  const owners = [...new Map(record.owners.map((o) => [o.ownerId, o])).values()];
  if (owners.length === 0) return new Map([[PLATFORM, record.feeFen]]);
  const weightOf = (o: SettlementRecord["owners"][number]) =>
    BigInt(shares.ownerShareBasisPoints ? (shares.ownerShareBasisPoints[o.ownerId] ?? 0) : 1) *
    BigInt(o.contributionUnits);
  let weights = owners.map((o) => ({ id: o.ownerId, w: weightOf(o) }));
  if (weights.every((x) => x.w === 0n)) weights = owners.map((o) => ({ id: o.ownerId, w: 1n }));
  const total = weights.reduce((sum, x) => sum + x.w, 0n);
  // Every exact share over one denominator, 10000 · Σw.
  const denominator = 10_000n * total;
  const exact = [
    { id: PLATFORM, numerator: fee * platformBp * total },
    ...weights.map(({ id, w }) => ({ id, numerator: fee * (10_000n - platformBp) * w })),
  ];
  const floors = apportion(fee, exact, denominator);
  return new Map(floors.filter((f) => f.fen > 0n || f.id === PLATFORM).map((f) => [f.id, Number(f.fen)]));
}

/**
 * `amount` shared as numerator / denominator each, summing to it exactly: every share rounded
 * down, the units left over one each to the largest remainders, ties to the id that sorts first
 * (Hamilton's method). The shares' numerators must add up to `amount × denominator`.
 */
export function apportion(
  amount: bigint,
  shares: readonly { id: string; numerator: bigint }[],
  denominator: bigint,
): { id: string; fen: bigint }[] {
  const floors = shares.map((e) => ({ id: e.id, fen: e.numerator / denominator, rest: e.numerator % denominator }));
  let left = amount - floors.reduce((sum, f) => sum + f.fen, 0n);
  const order = [...floors].sort((a, b) => (a.rest === b.rest ? (a.id < b.id ? -1 : 1) : a.rest > b.rest ? -1 : 1));
  for (const f of order) {
    if (left === 0n) break;
    f.fen += 1n;
    left -= 1n;
  }
  return floors.map(({ id, fen }) => ({ id, fen }));
}

const LINE_ENCODING = ["string", "uint256"] as const;

/**
 * A statement built one record at a time, in the order the records were written, so a period of
 * any size settles in memory bounded by its payees: the records hash is SHA-256 over the same
 * RFC 8785 text as `canonicalHash(recordIds)`, streamed.
 */
export function createSettlementAccumulator(period: { start: string; end: string }) {
  const totals = new Map<string, { amount: number; records: number }>();
  const recordsDigest = createHash("sha256").update("[");
  let feeTotalFen = 0;
  let recordCount = 0;
  return {
    add(record: SettlementRecord, shares: ScenarioShares) {
      const split = splitFee(record, shares);
      recordsDigest.update(`${recordCount > 0 ? "," : ""}${JSON.stringify(record.recordId)}`);
      recordCount += 1;
      feeTotalFen += record.feeFen;
      for (const [payee, fen] of split) {
        const line = totals.get(payee) ?? { amount: 0, records: 0 };
        line.amount += fen;
        line.records += 1;
        totals.set(payee, line);
      }
    },
    finish(): SettlementStatement {
      const lines: StatementLine[] = [...totals.entries()]
        .sort(([a], [b]) => (a === PLATFORM ? -1 : b === PLATFORM ? 1 : a < b ? -1 : 1))
        .map(([payeeId, t]) => ({
          payeeId,
          role: payeeId === PLATFORM ? "platform" : "owner",
          amountFen: t.amount,
          records: t.records,
        }));
      const tree = lines.length ? StandardMerkleTree.of(lines.map(leafOf), [...LINE_ENCODING]) : undefined;
      return {
        periodStart: period.start,
        periodEnd: period.end,
        recordCount,
        feeTotalFen,
        lines,
        recordsHash: recordsDigest.update("]").digest("hex"),
        root: tree?.root ?? `0x${"0".repeat(64)}`,
      };
    },
  };
}

/** The statement of a period: every record's split, summed per payee, with a Merkle root over the lines. */
export function settle(
  period: { start: string; end: string },
  records: readonly SettlementRecord[],
  sharesOf: (scenarioId: string) => ScenarioShares,
): SettlementStatement {
  const statement = createSettlementAccumulator(period);
  for (const record of records) statement.add(record, sharesOf(record.scenarioId));
  return statement.finish();
}

const leafOf = (line: StatementLine): [string, string] => [line.payeeId, String(line.amountFen)];

/** The proof an owner checks its line with, in @openzeppelin/merkle-tree's format. */
export function lineProof(statement: SettlementStatement, payeeId: string): string[] {
  const tree = StandardMerkleTree.of(statement.lines.map(leafOf), [...LINE_ENCODING]);
  const index = statement.lines.findIndex((l) => l.payeeId === payeeId);
  if (index < 0) throw new SettlementError(`${payeeId} has no line in this statement`);
  return tree.getProof(index);
}

/** What an owner runs, with public tools only: its line and proof against the anchored root. */
export function verifyLine(root: string, line: Pick<StatementLine, "payeeId" | "amountFen">, proof: string[]): boolean {
  try {
    return StandardMerkleTree.verify(root, [...LINE_ENCODING], leafOf(line as StatementLine), proof);
  } catch {
    return false;
  }
}

/**
 * Why a stored statement does not hold together (its totals not those of its lines, or its root not
 * theirs), or null when it does. Every record gives the platform a line, so that line counts them.
 */
export function statementInconsistency(statement: SettlementStatement): string | null {
  const sum = statement.lines.reduce((total, line) => total + line.amountFen, 0);
  if (sum !== statement.feeTotalFen)
    return `its lines add up to ${sum} fen, not the ${statement.feeTotalFen} it states`;
  const platform = statement.lines.find((l) => l.payeeId === PLATFORM);
  if ((platform?.records ?? 0) !== statement.recordCount) {
    return `it states ${statement.recordCount} records, but its lines cover ${platform?.records ?? 0}`;
  }
  if (statement.lines.length === 0) return "it has no lines";
  const root = StandardMerkleTree.of(statement.lines.map(leafOf), [...LINE_ENCODING]).root;
  return root === statement.root ? null : "its root is not the root of its lines";
}
