import postgres from "postgres";
import { generateEd25519KeyPair } from "../../lib/ed25519.js";
import { WorkerPool } from "../../lib/worker-pool.js";
import { type Database, participants, scenarios } from "../../store/index.js";
import type { seedRows } from "./ledger-seed-rows.js";

const CHUNK = 10_000;

/**
 * Writes `count` finished jobs with their decisions and usage records into the PostgreSQL
 * database at `url`, as the gateway would (see seedRows), generated on two worker threads and
 * loaded with COPY. Returns the public key the records are signed with.
 */
export async function seedUsageRecords(
  database: Database,
  url: string,
  count: number,
  from: Date,
  options: { distinctDecisions?: boolean; onProgress?: (written: number) => void } = {},
): Promise<string> {
  const keys = generateEd25519KeyPair();
  await database.db
    .insert(participants)
    .values({ id: "op", name: "Bank", role: "operator", publicKey: "pk-op" })
    .onConflictDoNothing();
  await database.db
    .insert(scenarios)
    .values({
      id: "sc",
      operatorId: "op",
      purpose: "ledger benchmark",
      datasetIds: ["ds_si", "ds_tax"],
      datasetVersions: {},
      fields: ["ds_si.wages_fen", "ds_tax.wages_fen"],
      computeModes: ["mpc"],
      queryShapes: ["sum"],
      minGroupSize: 10,
      epsilonPerQueryMicro: 100_000,
      epsilonBudgetMicro: 0,
      queryQuota: count,
      pricePerQueryFen: 500,
      platformShareBasisPoints: 1000,
      validFrom: new Date(0),
      validUntil: new Date(Date.now() + 1e10),
    })
    .onConflictDoNothing();
  const pool = new WorkerPool(new URL("./ledger-seed-worker-entry.mjs", import.meta.url), "internal", 2);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const copy = async (statement: string, text: string) => {
    const stream = await sql.unsafe(statement).writable();
    await new Promise<void>((resolve, reject) => {
      stream.on("error", reject);
      stream.end(text, () => resolve());
    });
  };
  try {
    const chunks: { start: number; size: number }[] = [];
    for (let start = 0; start < count; start += CHUNK) chunks.push({ start, size: Math.min(CHUNK, count - start) });
    // Two chunks generated ahead while one is loaded.
    const generate = (c: { start: number; size: number }) =>
      pool.run<ReturnType<typeof seedRows>>("seedRows", [
        c.start,
        c.size,
        from.getTime(),
        keys.privateKeyPem,
        options.distinctDecisions ?? true,
      ]);
    const ahead = chunks.slice(0, 2).map(generate);
    for (let i = 0; i < chunks.length; i++) {
      const rows = await (ahead[i] as ReturnType<typeof generate>);
      const next = chunks[i + 2];
      if (next) ahead.push(generate(next));
      ahead[i] = undefined as unknown as ReturnType<typeof generate>;
      if (rows.decisions) await copy("copy decisions (hash, request, state, decision) from stdin", rows.decisions);
      await copy(
        "copy jobs (id, scenario_id, operator_id, query, status, decision_hash, finished_at) from stdin",
        rows.jobs,
      );
      await copy(
        "copy usage_records (id, job_id, record, record_hash, gateway_signature, created_at) from stdin",
        rows.records,
      );
      options.onProgress?.((chunks[i]?.start ?? 0) + (chunks[i]?.size ?? 0));
    }
    // A live database's statistics are kept by autovacuum as records arrive; after a bulk load they
    // must be gathered, or the planner takes a million waiting records for a few thousand.
    await sql`analyze decisions, jobs, usage_records`;
  } finally {
    await pool.close();
    await sql.end();
  }
  return keys.publicKey;
}
