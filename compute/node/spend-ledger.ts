import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from "node:fs";
import { z } from "zod";
import type { ScenarioTerms } from "../../lib/approvals.js";
import { SluiceError } from "../../lib/errors.js";

const entrySchema = z.strictObject({
  scenarioId: z.string().min(1),
  jobId: z.string().min(1),
  epsilonMicro: z.number().int().min(0),
});
type Entry = z.infer<typeof entrySchema>;

/**
 * The owner's own count of what each scenario has spent at this node: one query and the plan's ε
 * per job, against the quota and ε budget the owner signed in the scenario's terms. A job is
 * counted once, before it computes; a plan replayed by a compromised gateway under a new job id is
 * refused once the signed budget or quota is used up, and one under a job id already counted is
 * refused after a restart (the node no longer holds its answer, and a second run would draw fresh
 * noise). With a file, each job is appended and fsynced before it runs, so a restart or a crash
 * forgets nothing; a line cut short by a crash is skipped.
 */
export class SpendLedger {
  private readonly byScenario = new Map<string, { queries: number; epsilonMicro: number }>();
  private readonly jobs = new Set<string>();
  /** A crash cut the last line short: the next entry starts on a line of its own. */
  private endsMidLine = false;

  constructor(private readonly file?: string) {
    if (!file || !existsSync(file)) return;
    const text = readFileSync(file, "utf8");
    this.endsMidLine = text !== "" && !text.endsWith("\n");
    for (const line of text.split("\n")) {
      if (line === "") continue;
      let entry: Entry;
      try {
        entry = entrySchema.parse(JSON.parse(line));
      } catch {
        continue;
      }
      this.count(entry);
    }
  }

  private count(entry: Entry) {
    if (this.jobs.has(entry.jobId)) return;
    this.jobs.add(entry.jobId);
    const spent = this.byScenario.get(entry.scenarioId) ?? { queries: 0, epsilonMicro: 0 };
    spent.queries += 1;
    spent.epsilonMicro += entry.epsilonMicro;
    this.byScenario.set(entry.scenarioId, spent);
  }

  /** Whether a job was already counted here (it ran, or began to, at this node). */
  has(jobId: string): boolean {
    return this.jobs.has(jobId);
  }

  /** What a scenario has spent at this node. */
  spentBy(scenarioId: string): { queries: number; epsilonMicro: number } {
    return { ...(this.byScenario.get(scenarioId) ?? { queries: 0, epsilonMicro: 0 }) };
  }

  /** Throws, naming what is used up, when a new job would go past its scenario's signed quota or budget. */
  check(terms: ScenarioTerms, job: { jobId: string; epsilonMicro: number }): void {
    if (this.jobs.has(job.jobId)) {
      throw new SluiceError(
        "plan_not_approved",
        `job ${job.jobId} was already computed at this node; a job runs once (ask the gateway for its outcome)`,
      );
    }
    const spent = this.spentBy(terms.scenarioId);
    if (spent.queries + 1 > terms.queryQuota) {
      throw new SluiceError(
        "plan_not_approved",
        `scenario ${terms.scenarioId} has used the ${terms.queryQuota} queries its owner signed for at this node`,
      );
    }
    if (spent.epsilonMicro + job.epsilonMicro > terms.epsilonBudgetMicro) {
      throw new SluiceError(
        "plan_not_approved",
        `scenario ${terms.scenarioId} has ε ${(terms.epsilonBudgetMicro - spent.epsilonMicro) / 1e6} left of the ${terms.epsilonBudgetMicro / 1e6} its owner signed for at this node, less than the ${job.epsilonMicro / 1e6} asked`,
      );
    }
  }

  /**
   * Counts a new job against its scenario's signed quota and budget, durably, or throws naming what
   * is used up. Call it once per job, before anything of the job is computed.
   */
  take(terms: ScenarioTerms, job: { jobId: string; epsilonMicro: number }): void {
    this.check(terms, job);
    const entry = { scenarioId: terms.scenarioId, jobId: job.jobId, epsilonMicro: job.epsilonMicro };
    if (this.file) {
      const fd = openSync(this.file, "a", 0o600);
      try {
        writeSync(fd, `${this.endsMidLine ? "\n" : ""}${JSON.stringify(entry)}\n`);
        this.endsMidLine = false;
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    this.count(entry);
  }
}
