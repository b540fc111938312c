import { and, desc, eq, type SQL } from "drizzle-orm";
import { z } from "zod";
import { JOB_STATUSES } from "../../lib/vocabulary.js";
import { type Db, jobs, type Participant, usageRecords } from "../../store/index.js";

export const jobListQuerySchema = z.strictObject({
  status: z.enum(JOB_STATUSES).optional().describe("only jobs in this status"),
  scenarioId: z.string().min(1).optional().describe("only jobs of this scenario"),
  limit: z.coerce.number().int().min(1).max(100).default(20).describe("how many, newest first (1 to 100, default 20)"),
});
export type JobListQuery = z.infer<typeof jobListQuerySchema>;

/** Whose jobs a participant may list: an operator its own, a regulator every operator's. */
export const jobScopeOf = (caller: Participant): { operatorId?: string } =>
  caller.role === "operator" ? { operatorId: caller.id } : {};

/** The newest jobs in a scope, without their results. */
export async function listJobs(
  db: Db,
  scope: { operatorId?: string },
  query: Partial<JobListQuery> & Pick<JobListQuery, "limit">,
) {
  const conditions: SQL[] = [];
  if (scope.operatorId) conditions.push(eq(jobs.operatorId, scope.operatorId));
  if (query.status) conditions.push(eq(jobs.status, query.status));
  if (query.scenarioId) conditions.push(eq(jobs.scenarioId, query.scenarioId));
  const rows = await db
    .select({
      id: jobs.id,
      scenarioId: jobs.scenarioId,
      operatorId: jobs.operatorId,
      query: jobs.query,
      status: jobs.status,
      error: jobs.error,
      createdAt: jobs.createdAt,
      finishedAt: jobs.finishedAt,
      usageRecordId: usageRecords.id,
    })
    .from(jobs)
    .leftJoin(usageRecords, eq(usageRecords.jobId, jobs.id))
    .where(conditions.length > 0 ? and(...conditions) : undefined)
    .orderBy(desc(jobs.createdAt), desc(jobs.id))
    .limit(query.limit);
  return { jobs: rows };
}
