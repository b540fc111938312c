import { verifyLine } from "../../ledger/settlement.js";
import { count, instant, table, yuan } from "./format.js";
import { EXIT, type Handler } from "./handler.js";
import { verifyStatementIndependently } from "./verify.js";

export interface Statement {
  id: string;
  periodStart: string;
  periodEnd: string;
  recordCount: number;
  feeTotalFen: number;
  root: string;
  lines: { payeeId: string; amountFen: number; records: number }[];
  anchor?: { status: string; txHash?: string | null; reason?: string };
  chain?: { anchored: boolean; rootMatches: boolean } | null;
  proof?: string[] | null;
}

function describeStatement(s: Statement): string {
  return [
    `statement ${s.id}: ${instant(s.periodStart)} to ${instant(s.periodEnd)}, ${count(s.recordCount)} usage records, ${yuan(s.feeTotalFen)}`,
    table(
      ["payee", "amount", "records"],
      s.lines.map((l) => [l.payeeId, yuan(l.amountFen), count(l.records)]),
      [1, 2],
    ),
    `root ${s.root}`,
  ].join("\n");
}

/** `sluice settle --from <instant> --to <instant>`: the authority settles a period. */
export const settlePeriod: Handler = async (client, h) => {
  const statement = await client.request<Statement>("POST", "/settlements", {
    periodStart: h.option("from", "--from <ISO instant>"),
    periodEnd: h.option("to", "--to <ISO instant>"),
  });
  h.print(
    statement,
    () =>
      `${describeStatement(statement)}\nanchoring: ${statement.anchor?.status}${statement.anchor?.reason ? ` (${statement.anchor.reason})` : ""}`,
  );
  return statement.anchor?.status === "anchored" ? EXIT.ok : EXIT.unavailable;
};

/**
 * `sluice settlement <id>`: a statement as the caller may see it; an owner's own line is verified
 * here, with the Merkle proof against the root the gateway reports as anchored on chain.
 */
export const showSettlement: Handler = async (client, h) => {
  const statement = await client.request<Statement>(
    "GET",
    `/settlements/${encodeURIComponent(h.arg(0, "a statement id"))}`,
  );
  if (typeof h.call.options.rpc === "string") return verifyStatementIndependently(client, h, statement);
  const line = statement.proof ? statement.lines[0] : undefined;
  const verified = line && statement.proof ? verifyLine(statement.root, line, statement.proof) : null;
  const onChain = statement.chain ? statement.chain.anchored && statement.chain.rootMatches : null;
  h.print({ ...statement, verifiedHere: verified }, () =>
    [
      describeStatement(statement),
      verified === null ? "" : `your line: ${verified ? "VERIFIED" : "FAILED"} against the root`,
      `on chain: ${onChain === null ? "no settlement contract" : onChain ? "anchored, root matches" : "NOT anchored or another root"}`,
    ]
      .filter(Boolean)
      .join("\n"),
  );
  return verified === false || onChain === false ? EXIT.refused : EXIT.ok;
};
