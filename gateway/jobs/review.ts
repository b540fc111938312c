import { and, eq } from "drizzle-orm";
import { ConflictError, ForbiddenError, NotFoundError } from "../../lib/errors.js";
import type { Decision, DecisionState } from "../../policies/index.js";
import { type Db, decisions, jobReviews, jobs } from "../../store/index.js";
import type { GatewayKeys } from "../deps.js";
import { finishJob } from "./finish.js";

/**
 * An owner releases or withholds a result held for review. The last release finishes the job and
 * writes its usage record; one withholding ends it with no record and no fee (the quota and ε stay
 * spent: the result was computed and seen by the reviewers).
 */
export async function reviewJob(
  db: Db,
  keys: GatewayKeys,
  ownerId: string,
  jobId: string,
  decision: "release" | "withhold",
  reason?: string,
) {
  return db.transaction(async (tx) => {
    const [job] = await tx.select().from(jobs).where(eq(jobs.id, jobId)).for("update");
    if (!job) throw new NotFoundError("job", jobId);
    const reviews = await tx.select().from(jobReviews).where(eq(jobReviews.jobId, jobId));
    const mine = reviews.find((r) => r.ownerId === ownerId);
    if (!mine) throw new ForbiddenError(`job ${jobId} is not waiting for ${ownerId}'s review`);
    if (job.status !== "awaiting_review") throw new ConflictError(`job ${jobId} is ${job.status}, not awaiting review`);
    if (mine.decision !== "pending") throw new ConflictError(`${ownerId} already ${mine.decision} job ${jobId}`);
    const verdict = decision === "release" ? "released" : "withheld";
    await tx
      .update(jobReviews)
      .set({ decision: verdict, reason: reason ?? null, decidedAt: new Date() })
      .where(and(eq(jobReviews.jobId, jobId), eq(jobReviews.ownerId, ownerId)));
    if (verdict === "withheld") {
      await tx
        .update(jobs)
        .set({ status: "withheld", error: `withheld by ${ownerId}: ${reason}`, finishedAt: new Date() })
        .where(eq(jobs.id, jobId));
      return { jobId, status: "withheld" as const };
    }
    if (reviews.some((r) => r.ownerId !== ownerId && r.decision !== "released"))
      return { jobId, status: "awaiting_review" as const };
    const [stored] = await tx.select().from(decisions).where(eq(decisions.hash, job.decisionHash));
    if (!stored || !job.result) throw new ConflictError(`job ${jobId} has no stored decision or result to release`);
    const usageRecordId = await finishJob(
      tx,
      keys,
      job,
      { decision: stored.decision as unknown as Decision, state: stored.state as unknown as DecisionState },
      job.result,
      new Date(),
    );
    return { jobId, status: "succeeded" as const, usageRecordId };
  });
}
