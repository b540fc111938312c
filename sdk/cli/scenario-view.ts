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

/**
 * A scenario as an owner's clerk reads it before approving: for one across departments (a join, or
 * a vertical score), which columns are combined with which, and what leaves.
 */
export function describeScenario(s: Record<string, unknown>): string {
  const approvals = (s.approvals as { ownerId: string; decision: string; reason: string | null }[] | undefined) ?? [];
  const lines = [`${String(s.id)}: ${String(s.status)}`];
  if (typeof s.purpose === "string") lines.push(`  purpose: ${s.purpose}`);
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
  for (const a of approvals) lines.push(`  ${a.ownerId}: ${a.decision}${a.reason ? ` (${a.reason})` : ""}`);
  return lines.join("\n");
}
