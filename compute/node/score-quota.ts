import { hash } from "node:crypto";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { SluiceError } from "../../lib/errors.js";

/**
 * How many times each entity has been scored under each scenario, kept by the owner's node itself
 * (a compromised gateway cannot reset it). With a file, every job appends one line per id before it
 * runs, so a restart or a crash never forgets a score already given; ids are kept only as hashes.
 */
export class ScoreQuota {
  private readonly counts = new Map<string, number>();

  constructor(private readonly file?: string) {
    if (!file || !existsSync(file)) return;
    for (const line of readFileSync(file, "utf8").split("\n")) {
      // A line cut short by a crash mid-write is not a whole hash: it is skipped.
      if (/^[0-9a-f]{64}$/.test(line)) this.counts.set(line, (this.counts.get(line) ?? 0) + 1);
    }
  }

  private static keyOf(scenarioId: string, id: string): string {
    return hash("sha256", `${scenarioId}\u0000${id}`, "hex");
  }

  /** Counts one score for each id, all or none: if any id has reached `max`, nothing is counted. */
  take(scenarioId: string, ids: readonly string[], max: number): void {
    const keys = ids.map((id) => ScoreQuota.keyOf(scenarioId, id));
    const spent = ids.filter((_, i) => (this.counts.get(keys[i] as string) ?? 0) >= max);
    if (spent.length > 0) {
      throw new SluiceError(
        "score_quota_exhausted",
        `${spent.length} of these ids have been scored ${max} times under scenario ${scenarioId}, as many as the owner allows (first: ${spent[0]})`,
      );
    }
    if (this.file) appendFileSync(this.file, `${keys.join("\n")}\n`);
    for (const key of keys) this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** How many times an entity has been scored under a scenario. */
  countOf(scenarioId: string, id: string): number {
    return this.counts.get(ScoreQuota.keyOf(scenarioId, id)) ?? 0;
  }
}
