import { desc, eq } from "drizzle-orm";
import { type Db, grants, jobs, scenarios } from "../../../store/index.js";

export async function operatorGrants(db: Db, operatorId: string) {
  return db.select().from(grants).where(eq(grants.operatorId, operatorId)).orderBy(desc(grants.createdAt));
}

export async function operatorScenarios(db: Db, operatorId: string) {
  return db.select().from(scenarios).where(eq(scenarios.operatorId, operatorId)).orderBy(desc(scenarios.createdAt));
}

/** The operator's most recent jobs, newest first. */
export async function operatorJobs(db: Db, operatorId: string, limit = 100) {
  return db
    .select({
      id: jobs.id,
      scenarioId: jobs.scenarioId,
      query: jobs.query,
      status: jobs.status,
      error: jobs.error,
      createdAt: jobs.createdAt,
      finishedAt: jobs.finishedAt,
    })
    .from(jobs)
    .where(eq(jobs.operatorId, operatorId))
    .orderBy(desc(jobs.createdAt))
    .limit(limit);
}
