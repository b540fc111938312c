import { count, instant, yuan } from "./format.js";

/** Each dataset's columns among a scenario's qualified fields, in the order they come. */
function columnsByDataset(fields: readonly string[]): Map<string, string[]> {
  const byDataset = new Map<string, string[]>();
  for (const qualified of fields) {
    const dot = qualified.indexOf(".");
    const dataset = qualified.slice(0, dot);
    byDataset.set(dataset, [...(byDataset.get(dataset) ?? []), qualified.slice(dot + 1)]);
  }
  return byDataset;
}

const MODE_NAMES: Record<string, string> = {
  plain: "computed in the clear at each owner's node",
  mpc: "secure multi-party computation across the owners' nodes",
  he: "homomorphic encryption under the operator's key",
  psi: "private set intersection",
  join: "joined across departments on the entity key",
};

const SHAPE_NAMES: Record<string, string> = {
  row: "rows",
  count: "counts",
  sum: "sums",
  mean: "means",
  variance: "variances",
  histogram: "histograms",
  "psi-size": "intersection sizes",
  "psi-membership": "which of the operator's ids are held",
  "psi-sum": "sums over an intersection",
  "he-score": "encrypted scores",
};

const named = (names: Record<string, string>, codes: readonly string[]) =>
  codes.map((code) => (names[code] ? `${names[code]} (${code})` : code));

interface Approval {
  ownerId: string;
  decision: string;
  reason: string | null;
  decidedBy?: string | null;
  decidedAt?: string | null;
}

/** The terms every owner signs, and where the scenario stands against them. */
function termLines(s: Record<string, unknown>): string[] {
  const lines: string[] = [];
  const number = (key: string) => (typeof s[key] === "number" ? (s[key] as number) : undefined);
  if (typeof s.operatorId === "string") lines.push(`  operator: ${s.operatorId}`);
  const versions = (s.datasetVersions as Record<string, number> | undefined) ?? {};
  const datasets = (s.datasetIds as string[] | undefined) ?? Object.keys(versions);
  if (datasets.length > 0) {
    lines.push(
      `  datasets: ${datasets.map((d) => (versions[d] !== undefined ? `${d} (version ${versions[d]})` : d)).join(", ")}`,
    );
  }
  const byDataset = columnsByDataset((s.fields as string[] | undefined) ?? []);
  if (byDataset.size > 0)
    lines.push("  fields:", ...[...byDataset].map(([d, names]) => `    ${d}: ${names.join(", ")}`));
  const modes = (s.computeModes as string[] | undefined) ?? [];
  if (modes.length > 0) lines.push(`  computed by: ${named(MODE_NAMES, modes).join("; ")}`);
  const shapes = (s.queryShapes as string[] | undefined) ?? [];
  if (shapes.length > 0) lines.push(`  what may be asked: ${named(SHAPE_NAMES, shapes).join(", ")}`);
  const k = number("minGroupSize");
  if (k !== undefined) lines.push(`  smallest group released (k): ${count(k)}`);
  // A rejected or revoked scenario has nothing left to spend: its remaining quota is not shown.
  const spendable = !["rejected", "revoked", "expired"].includes(String(s.status));
  const perQuery = number("epsilonPerQuery");
  const budget = number("epsilonBudget");
  if (perQuery !== undefined && budget !== undefined) {
    const spent = number("epsilonSpent");
    lines.push(
      `  privacy budget ε: ${perQuery} a query, ${budget} in all${spendable && spent !== undefined ? ` (${spent} spent)` : ""}`,
    );
  }
  const quota = number("queryQuota");
  if (quota !== undefined) {
    const used = number("queriesUsed");
    lines.push(`  queries: ${count(quota)} in all${spendable && used !== undefined ? ` (${count(used)} used)` : ""}`);
  }
  const price = number("pricePerQueryFen");
  if (price !== undefined) {
    const platform = number("platformShareBasisPoints");
    const owners = s.ownerShareBasisPoints as Record<string, number> | null | undefined;
    const shares = [
      ...(platform !== undefined ? [`the platform ${platform / 100}%`] : []),
      ...(owners
        ? Object.entries(owners).map(([owner, bp]) => `${owner} ${bp / 100}%`)
        : ["the owners the rest, by their rows"]),
    ];
    lines.push(`  price: ${yuan(price)} a query, shared: ${shares.join(", ")}`);
  }
  if (typeof s.requiresResultReview === "boolean") {
    lines.push(`  results reviewed by the owners before release: ${s.requiresResultReview ? "yes" : "no"}`);
  }
  if (s.validFrom || s.validUntil)
    lines.push(`  valid: ${instant(s.validFrom as string)} to ${instant(s.validUntil as string)}`);
  return lines;
}

/**
 * A scenario as an owner's clerk reads it before approving: every term the approval signs, and
 * for one across departments (a join, or a vertical score) which columns are combined with which,
 * and what leaves.
 */
export function describeScenario(s: Record<string, unknown>): string {
  const approvals = (s.approvals as Approval[] | undefined) ?? [];
  const lines = [`${String(s.id)}: ${String(s.status)}`];
  if (typeof s.purpose === "string") lines.push(`  purpose: ${s.purpose}`);
  lines.push(...termLines(s));
  const modes = (s.computeModes as string[] | undefined) ?? [];
  const shapes = (s.queryShapes as string[] | undefined) ?? [];
  const byDataset = columnsByDataset((s.fields as string[] | undefined) ?? []);
  const columns = () => [...byDataset].map(([dataset, names]) => `    ${dataset}: ${names.join(", ")}`);
  if (modes.includes("join")) {
    lines.push(
      "  joined across departments on the entity key (compute mode join):",
      ...columns(),
      `  what leaves: ${shapes.join(", ")} over the joined rows only, each group of fewer than ${String(s.minGroupSize)} withheld;`,
      "  no row, no key and not which of your keys the others hold (compute/README.md, Joined aggregates)",
    );
  }
  if (modes.includes("he") && shapes.includes("he-score") && byDataset.size > 1) {
    lines.push(
      "  scored across departments: the operator's encrypted model weighs, each at its own node (a vertical score):",
      ...columns(),
      "  what leaves: encrypted scores only the operator opens, for its listed entities every department holds,",
      "  and which of them you hold; no value, no row; your bounds, noise and scores per entity apply to your part",
      "  (compute/README.md, Vertical scores)",
    );
  }
  if (approvals.length > 0) lines.push("  decisions:");
  for (const a of approvals) {
    const when = a.decidedAt ? ` ${instant(a.decidedAt)}` : "";
    const by = a.decidedBy?.startsWith("auto-rule:") ? ` by its rule ${a.decidedBy.slice("auto-rule:".length)}` : "";
    lines.push(`    ${a.ownerId}: ${a.decision}${by}${when}${a.reason ? ` (${a.reason})` : ""}`);
  }
  if (["proposed", "needs_reapproval"].includes(String(s.status)) && approvals.some((a) => a.decision === "pending")) {
    lines.push(
      "  an owner approves with: sluice approve <id>   (its signature covers the terms above), or rejects with: sluice reject <id> --reason <why>",
    );
  }
  return lines.join("\n");
}
