import { JOB_STATUSES } from "../../lib/vocabulary.js";
import { describeResult, type Released } from "./describe-result.js";
import { count, instant, table, yuan } from "./format.js";
import { EXIT, type Handler, type Helpers, UsageError } from "./handler.js";
import type { Statement } from "./settlement.js";

// The list commands (jobs, datasets, grants, settlements) and one job in words: tables a person
// reads, or with --json what the gateway answered.

function limitOf(text: unknown): number | undefined {
  if (text === undefined) return undefined;
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    throw new UsageError("--limit is a whole number from 1 to 100");
  return limit;
}

/** A list as a table (or in words when it is empty), or with --json the gateway's answer. */
function printList<T>(
  h: Helpers,
  answer: unknown,
  items: readonly T[],
  view: { empty: string; headers: string[]; row: (item: T) => string[]; right?: number[] },
): number {
  h.print(answer, () => (items.length === 0 ? view.empty : table(view.headers, items.map(view.row), view.right)));
  return EXIT.ok;
}

export const jobs: Handler = async (client, h) => {
  const { status, scenario, limit } = h.call.options;
  if (status !== undefined && !(JOB_STATUSES as readonly unknown[]).includes(status)) {
    throw new UsageError(`--status is one of ${JOB_STATUSES.join(", ")}`);
  }
  const most = limitOf(limit);
  const listed = await client.listJobs({
    ...(typeof status === "string" ? { status } : {}),
    ...(typeof scenario === "string" ? { scenarioId: scenario } : {}),
    ...(most ? { limit: most } : {}),
  });
  return printList(h, listed, listed.jobs, {
    empty: "no jobs",
    headers: ["job", "started", "status", "asked", "scenario"],
    row: (j) => [j.id, instant(j.createdAt), j.status, `${j.query.queryShape} (${j.query.computeMode})`, j.scenarioId],
  });
};

interface Job {
  id: string;
  status: string;
  scenarioId?: string;
  operatorId?: string;
  query?: { computeMode: string; queryShape: string; fields: string[]; epsilon: number };
  result?: Record<string, unknown> | null;
  error?: string | null;
  createdAt?: string;
  finishedAt?: string | null;
  usageRecordId?: string | null;
  reviews?: { ownerId: string; decision: string; reason: string | null }[];
}

/** The field a job measured: a join names it in its result; an aggregate's is its first field. */
function measureOf(job: Job): string | undefined {
  if (typeof job.result?.measure === "string") return job.result.measure;
  if (!job.query || job.query.computeMode === "join" || job.query.queryShape === "count") return undefined;
  return job.query.fields[0];
}

/** What a job's result says, in words: a table of cells, a size, or how many scores. */
function resultLines(job: Job): string[] {
  const result = job.result;
  if (!result) return job.status === "awaiting_review" ? ["result: held for the owners' review"] : [];
  if (Array.isArray(result.cells) && job.query) {
    const described = describeResult(job.query.queryShape, result as unknown as Released, measureOf(job));
    return ["result:", described.replace(/^/gm, "  ")];
  }
  if (typeof result.size === "number" || result.size === null) {
    return [`result: ${result.size === null ? "withheld (fewer than k)" : `size ${count(result.size as number)}`}`];
  }
  if (Array.isArray(result.ids))
    return [`result: encrypted scores for ${count(result.ids.length)} entities (open them with sluice score)`];
  return [`result: ${JSON.stringify(result)}`];
}

export const job: Handler = async (client, h) => {
  const found = (await client.getJob(h.arg(0, "a job id"))) as unknown as Job;
  h.print(found, () => {
    const q = found.query;
    const lines = [`${found.id}: ${found.status}`];
    if (found.scenarioId)
      lines.push(`  scenario: ${found.scenarioId}${found.operatorId ? `, operator ${found.operatorId}` : ""}`);
    if (q) {
      const measure = measureOf(found);
      lines.push(
        `  asked: ${q.queryShape}${measure ? ` of ${measure}` : ""} (${q.computeMode})${q.epsilon > 0 ? `, ε ${q.epsilon}` : ", no noise"}`,
        `  fields read: ${q.fields.join(", ")}`,
      );
    }
    if (found.createdAt) lines.push(`  started: ${instant(found.createdAt)}; finished: ${instant(found.finishedAt)}`);
    if (found.error) lines.push(`  why it failed: ${found.error}`);
    lines.push(...resultLines(found).map((line) => line.replace(/^/gm, "  ")));
    for (const r of found.reviews ?? [])
      lines.push(`  review by ${r.ownerId}: ${r.decision}${r.reason ? ` (${r.reason})` : ""}`);
    if (found.usageRecordId) lines.push(`  usage record: ${found.usageRecordId}`);
    return lines.join("\n");
  });
  return EXIT.ok;
};

interface Dataset {
  id: string;
  ownerId: string;
  name: string;
  sector: string;
  region: string;
  keyField: string;
  fields: { name: string; type: string; level: number }[];
  version: number;
}

export const datasets: Handler = async (client, h) => {
  const listed = await client.request<{ datasets: Dataset[] }>("GET", "/datasets");
  return printList(h, listed, listed.datasets, {
    empty: "no datasets",
    headers: ["dataset", "name", "owner", "sector", "region", "key", "fields", "version"],
    row: (d) => [
      d.id,
      d.name,
      d.ownerId,
      d.sector,
      d.region,
      d.keyField,
      d.fields.map((f) => `${f.name} (level ${f.level})`).join(", "),
      String(d.version),
    ],
    right: [7],
  });
};

interface Grant {
  id: string;
  tier: string;
  operatorId: string;
  grantorId: string;
  sectors: string[];
  regions: string[];
  computeModes: string[];
  maxLevel: number;
  status: string;
  validUntil: string;
}

export const grants: Handler = async (client, h) => {
  const operator = h.call.options.operator;
  const query = typeof operator === "string" ? `?operatorId=${encodeURIComponent(operator)}` : "";
  const listed = await client.request<{ grants: Grant[] }>("GET", `/grants${query}`);
  return printList(h, listed, listed.grants, {
    empty: "no grants",
    headers: ["grant", "tier", "operator", "by", "status", "scope", "up to level", "valid until"],
    row: (g) => [
      g.id,
      g.tier,
      g.operatorId,
      g.grantorId,
      g.status,
      `${g.sectors.join(", ") || "every sector"} in ${g.regions.join(", ") || "every region"}, by ${g.computeModes.join(", ")}`,
      String(g.maxLevel),
      instant(g.validUntil),
    ],
    right: [6],
  });
};

/** A statement as the list gives it: without its lines. */
type StatementSummary = Pick<Statement, "id" | "periodStart" | "periodEnd" | "recordCount" | "feeTotalFen"> & {
  txHash: string | null;
};

export const settlements: Handler = async (client, h) => {
  const listed = await client.request<{ statements: StatementSummary[] }>("GET", "/settlements");
  return printList(h, listed, listed.statements, {
    empty: "no settlement statements",
    headers: ["statement", "from", "to", "records", "total", "on chain"],
    row: (st) => [
      st.id,
      instant(st.periodStart),
      instant(st.periodEnd),
      count(st.recordCount),
      yuan(st.feeTotalFen),
      st.txHash ? "anchored" : "not yet",
    ],
    right: [3, 4],
  });
};
