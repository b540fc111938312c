import { desc, eq } from "drizzle-orm";
import { type Db, grants, jobs } from "../../../store/index.js";

export async function operatorGrants(db: Db, operatorId: string) {
  return db.select().from(grants).where(eq(grants.operatorId, operatorId)).orderBy(desc(grants.createdAt));
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
