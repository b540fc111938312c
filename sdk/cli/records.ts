import { count, instant, yuan } from "./format.js";
import { EXIT, type Handler } from "./handler.js";

interface RecordPage {
  records: {
    id: string;
    jobId: string;
    feeFen: number;
    batchId: string | null;
    createdAt: string;
    record: Record<string, unknown>;
  }[];
  next: string | null;
}

const FILTERS = {
  operator: "operatorId",
  scenario: "scenarioId",
  owner: "ownerId",
  batch: "batchId",
  from: "from",
  to: "to",
  limit: "limit",
  before: "before",
} as const;

/**
 * `sluice records [--operator id] [--scenario id] [--owner id] [--batch id] [--from instant] [--to instant] [--limit n] [--before cursor]`:
 * the regulator's view of the ledger, newest first, a page at a time.
 */
export const records: Handler = async (client, h) => {
  const query = new URLSearchParams();
  for (const [option, parameter] of Object.entries(FILTERS)) {
    const value = h.call.options[option];
    if (typeof value === "string") query.set(parameter, value);
  }
  const page = await client.request<RecordPage>("GET", `/ledger/records${query.size ? `?${query}` : ""}`);
  h.print(page, () =>
    [
      ...page.records.map(
        (r) =>
          `${instant(r.createdAt)}  ${r.id}  ${String(r.record.operatorId)} → ${String(r.record.scenarioId)}  ${yuan(r.feeFen)}  ${r.batchId ? `batch ${r.batchId}` : "not anchored yet"}`,
      ),
      page.records.length === 0 ? "no usage records match" : `${count(page.records.length)} records`,
      ...(page.next ? [`more: --before ${page.next}`] : []),
    ].join("\n"),
  );
  return EXIT.ok;
};
