import { desc, eq } from "drizzle-orm";
import { type Db, grants } from "../../../store/index.js";
import { listJobs } from "../../services/job-list.js";

export async function operatorGrants(db: Db, operatorId: string) {
  return db.select().from(grants).where(eq(grants.operatorId, operatorId)).orderBy(desc(grants.createdAt));
}

/** The operator's most recent jobs, newest first. */
export async function operatorJobs(db: Db, operatorId: string, limit = 100) {
  return (await listJobs(db, { operatorId }, { limit })).jobs;
}
