import { createPrivateKey } from "node:crypto";
import { sealUsageRecord } from "../../ledger/usage-record.js";
import { decide, decisionHash } from "../../policies/decide.js";
import { request as fixtureRequest, state as fixtureState } from "../../policies/test-fixtures.js";

/** One COPY text field: JSON or an id, with the format's backslash escaped (JSON holds no raw tab or newline). */
const field = (value: string) => value.replaceAll("\\", "\\\\");

/**
 * The rows of `size` finished jobs from index `start`, as PostgreSQL COPY text: each job with a
 * decision of its own made by the real policy engine (the request time differs per job, as in use;
 * one shared decision when `distinct` is false), and its usage record sealed and signed as the
 * gateway seals it, created one millisecond apart from `fromMs`.
 */
export function seedRows(start: number, size: number, fromMs: number, privateKeyPem: string, distinct: boolean) {
  const privateKey = createPrivateKey(privateKeyPem);
  const state = fixtureState();
  const stateText = field(JSON.stringify(state));
  const decisions: string[] = [];
  const jobs: string[] = [];
  const records: string[] = [];
  let shared: { hash: string; line: string; priceFen: number } | undefined;

  for (let i = start; i < start + size; i++) {
    const at = new Date(fromMs + i).toISOString();
    let hash: string;
    let priceFen: number;
    if (distinct || !shared) {
      const request = {
        ...fixtureRequest,
        at: new Date(Date.parse(fixtureRequest.at) + (distinct ? i * 1000 : 0)).toISOString(),
      };
      const decision = decide(request, state);
      hash = decisionHash(request, state, decision);
      // The fee the gateway charges is the price the decision set.
      priceFen = decision.effect === "allow" ? decision.obligations.priceFen : 0;
      const line = `${hash}\t${field(JSON.stringify(request))}\t${stateText}\t${field(JSON.stringify(decision))}\n`;
      if (!distinct) shared = { hash, line, priceFen };
      // The shared decision is written once, by the first chunk.
      if (distinct || start === 0) decisions.push(line);
    } else {
      hash = shared.hash;
      priceFen = shared.priceFen;
    }
    const jobId = `job_bench_${i}`;
    const query = JSON.stringify({
      computeMode: "mpc",
      queryShape: "sum",
      fields: fixtureRequest.fields,
      epsilon: 0.1,
    });
    jobs.push(`${jobId}\tsc\top\t${field(query)}\tsucceeded\t${hash}\t${at}\n`);
    const sealed = sealUsageRecord(
      {
        schemaVersion: 1,
        recordId: `rec_bench_${i}`,
        jobId,
        requestId: null,
        scenarioId: "sc",
        operatorId: "op",
        computeMode: "mpc",
        queryShape: "sum",
        owners: [
          { ownerId: "si", datasetId: "ds_si", contributionUnits: 1 + (i % 3) },
          { ownerId: "tax", datasetId: "ds_tax", contributionUnits: 1 },
        ],
        epsilonSpent: 0.1,
        feeFen: priceFen,
        decisionHash: hash,
        resultHash: hash,
        startedAt: at,
        finishedAt: at,
      },
      privateKey,
    );
    records.push(
      `${sealed.record.recordId}\t${jobId}\t${field(JSON.stringify(sealed.record))}\t${sealed.recordHash}\t${sealed.signature}\t${at}\n`,
    );
  }
  return { decisions: decisions.join(""), jobs: jobs.join(""), records: records.join("") };
}
