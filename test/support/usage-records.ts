import { writeUsageRecord } from "../../ledger/outbox.js";
import { sealUsageRecord } from "../../ledger/usage-record.js";
import { generateEd25519KeyPair } from "../../lib/ed25519.js";
import { newId } from "../../lib/ids.js";
import { type Database, decisions, jobs, participants, scenarios } from "../../store/index.js";

/** The key the seeded records are signed with, standing in for the gateway's. */
export const gatewayKeys = generateEd25519KeyPair();

/** A finished job and its signed usage record in the outbox, as the gateway writes them. */
export async function seedJob(
  database: Database,
  feeFen: number,
  owners: { ownerId: string; datasetId: string; contributionUnits: number }[] = [
    { ownerId: "tax", datasetId: "ds", contributionUnits: 1 },
  ],
) {
  const { db } = database;
  const jobId = newId("job");
  await db
    .insert(participants)
    .values({ id: "op", name: "Bank", role: "operator", publicKey: "pk-op" })
    .onConflictDoNothing();
  await db
    .insert(scenarios)
    .values({
      id: "sc",
      operatorId: "op",
      purpose: "test",
      datasetIds: [],
      datasetVersions: {},
      fields: [],
      computeModes: ["mpc"],
      queryShapes: ["sum"],
      minGroupSize: 1,
      epsilonPerQueryMicro: 0,
      epsilonBudgetMicro: 0,
      queryQuota: 10,
      pricePerQueryFen: feeFen,
      platformShareBasisPoints: 1000,
      validFrom: new Date(0),
      validUntil: new Date(Date.now() + 1e9),
    })
    .onConflictDoNothing();
  const now = new Date().toISOString();
  const sealed = sealUsageRecord(
    {
      schemaVersion: 1,
      recordId: newId("rec"),
      jobId,
      requestId: null,
      scenarioId: "sc",
      operatorId: "op",
      computeMode: "mpc",
      queryShape: "sum",
      owners,
      epsilonSpent: 0,
      feeFen,
      decisionHash: "d".repeat(64),
      resultHash: "e".repeat(64),
      startedAt: now,
      finishedAt: now,
    },
    gatewayKeys.privateKeyPem,
  );
  await db
    .insert(decisions)
    .values({ hash: "d".repeat(64), request: {}, state: {}, decision: {} })
    .onConflictDoNothing();
  await db.transaction(async (tx) => {
    await tx.insert(jobs).values({
      id: jobId,
      scenarioId: "sc",
      operatorId: "op",
      query: { computeMode: "mpc", queryShape: "sum", fields: [], epsilon: 0 },
      status: "succeeded",
      decisionHash: "d".repeat(64),
    });
    await writeUsageRecord(tx, sealed);
  });
  return sealed;
}
