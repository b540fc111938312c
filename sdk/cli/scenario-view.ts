/** A scenario as an owner's clerk reads it before approving: for a joined one, what is joined with what and what leaves. */
export function describeScenario(s: Record<string, unknown>): string {
  const approvals = (s.approvals as { ownerId: string; decision: string; reason: string | null }[] | undefined) ?? [];
  const lines = [`${String(s.id)}: ${String(s.status)}`];
  if (typeof s.purpose === "string") lines.push(`  purpose: ${s.purpose}`);
  const modes = (s.computeModes as string[] | undefined) ?? [];
  const fields = (s.fields as string[] | undefined) ?? [];
  if (modes.includes("join")) {
    const byDataset = new Map<string, string[]>();
    for (const qualified of fields) {
      const dot = qualified.indexOf(".");
      const dataset = qualified.slice(0, dot);
      byDataset.set(dataset, [...(byDataset.get(dataset) ?? []), qualified.slice(dot + 1)]);
    }
    lines.push("  joined across departments on the entity key (compute mode join):");
    for (const [dataset, columns] of byDataset) lines.push(`    ${dataset}: ${columns.join(", ")}`);
    const shapes = ((s.queryShapes as string[] | undefined) ?? []).join(", ");
    lines.push(
      `  what leaves: ${shapes} over the joined rows only, each group of fewer than ${String(s.minGroupSize)} withheld;`,
      "  no row, no key and not which of your keys the others hold (compute/README.md, Joined aggregates)",
    );
  }
  for (const a of approvals) lines.push(`  ${a.ownerId}: ${a.decision}${a.reason ? ` (${a.reason})` : ""}`);
  return lines.join("\n");
}
