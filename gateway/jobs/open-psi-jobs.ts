import { and, eq, gt, isNull, lte, or } from "drizzle-orm";
import type { HelperInput } from "../../compute/psi/helper-input.js";
import type { signPsiPlan } from "../../compute/psi/protocol.js";
import { NotFoundError, SluiceError } from "../../lib/errors.js";
import { type Db, openPsiJobs } from "../../store/index.js";
import type { Evaluation } from "./evaluate.js";

export type SignedPsiPlan = ReturnType<typeof signPsiPlan>;

/** What a PSI job carries from one of the operator's rounds to the next. */
export interface OpenPsiState {
  /** One plan per owner: two when two owners' sets combine. */
  signed: SignedPsiPlan[];
  evaluation: Evaluation;
  epsilon: number;
  helperSeed?: HelperInput;
}

export interface OpenPsiJob extends OpenPsiState {
  jobId: string;
  operatorId: string;
  /** A sum is answered in two steps: the owner's answers (in pages), then the helper's release. */
  answered: boolean;
  /** A result has begun to leave for the operator: the job is charged however it ends. */
  released: boolean;
}

/**
 * PSI jobs between the operator's rounds, in the database the replicas share, so that any replica
 * serves any step. An answer marks its job busy in one statement, so two replicas never answer
 * the same job; the mark lapses after `busyMs` should the replica answering it die, and the job's
 * window then ends it like any other.
 */
export class OpenPsiJobs {
  constructor(
    private readonly db: Db,
    private readonly busyMs: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async open(jobId: string, operatorId: string, state: OpenPsiState, expiresAt: Date): Promise<void> {
    await this.db
      .insert(openPsiJobs)
      .values({ jobId, operatorId, state: state as unknown as Record<string, unknown>, expiresAt });
  }

  /** An open job of this operator's in the step expected, and not being answered; else 404 or 409. */
  async get(operatorId: string, jobId: string, answered: boolean): Promise<OpenPsiJob> {
    const [row] = await this.db.select().from(openPsiJobs).where(eq(openPsiJobs.jobId, jobId));
    if (!row || row.operatorId !== operatorId || row.expiresAt <= this.now())
      throw new NotFoundError("open PSI job of yours", jobId);
    if (row.busyUntil && row.busyUntil > this.now())
      throw new SluiceError("conflict", `job ${jobId} is being answered`);
    if (row.answered !== answered) {
      throw new SluiceError(
        "conflict",
        answered ? `job ${jobId} is not a sum waiting for its release` : `job ${jobId} was answered; release its sum`,
      );
    }
    return jobOf(row);
  }

  private claimable(operatorId: string, jobId: string, answered: boolean) {
    return and(
      eq(openPsiJobs.jobId, jobId),
      eq(openPsiJobs.operatorId, operatorId),
      eq(openPsiJobs.answered, answered),
      gt(openPsiJobs.expiresAt, this.now()),
      or(isNull(openPsiJobs.busyUntil), lte(openPsiJobs.busyUntil, this.now())),
    );
  }

  /** Marks the job busy for an answer; only one replica's claim succeeds. */
  async claim(operatorId: string, jobId: string, answered: boolean): Promise<OpenPsiJob> {
    const [row] = await this.db
      .update(openPsiJobs)
      .set({ busyUntil: new Date(this.now().getTime() + this.busyMs) })
      .where(this.claimable(operatorId, jobId, answered))
      .returning();
    if (row) return jobOf(row);
    await this.get(operatorId, jobId, answered);
    throw new SluiceError("conflict", `job ${jobId} is being answered`);
  }

  /** Takes the job out of the table for its last step; only one replica's take succeeds. */
  async take(operatorId: string, jobId: string, answered: boolean): Promise<OpenPsiJob> {
    const [row] = await this.db
      .delete(openPsiJobs)
      .where(this.claimable(operatorId, jobId, answered))
      .returning();
    if (row) return jobOf(row);
    await this.get(operatorId, jobId, answered);
    throw new SluiceError("conflict", `job ${jobId} is being answered`);
  }

  /** A sum's answers are out: it waits for its release, no longer busy. */
  async markAnswered(jobId: string): Promise<void> {
    await this.db.update(openPsiJobs).set({ answered: true, busyUntil: null }).where(eq(openPsiJobs.jobId, jobId));
  }

  async markReleased(jobId: string): Promise<void> {
    await this.db.update(openPsiJobs).set({ released: true }).where(eq(openPsiJobs.jobId, jobId));
  }

  /** Whether the job is still open (not finished, failed, cancelled or expired meanwhile). */
  async isOpen(jobId: string): Promise<boolean> {
    const [row] = await this.db
      .select({ jobId: openPsiJobs.jobId })
      .from(openPsiJobs)
      .where(eq(openPsiJobs.jobId, jobId));
    return row !== undefined;
  }

  /** Removes the job; false when another step or replica already had. */
  async remove(jobId: string): Promise<boolean> {
    const gone = await this.db
      .delete(openPsiJobs)
      .where(eq(openPsiJobs.jobId, jobId))
      .returning({ jobId: openPsiJobs.jobId });
    return gone.length > 0;
  }

  /** Takes every job whose window has ended and that no replica is answering; each goes to one caller. */
  async takeExpired(): Promise<OpenPsiJob[]> {
    const now = this.now();
    const rows = await this.db
      .delete(openPsiJobs)
      .where(and(lte(openPsiJobs.expiresAt, now), or(isNull(openPsiJobs.busyUntil), lte(openPsiJobs.busyUntil, now))))
      .returning();
    return rows.map(jobOf);
  }
}

function jobOf(row: typeof openPsiJobs.$inferSelect): OpenPsiJob {
  const state = row.state as unknown as OpenPsiState;
  return { ...state, jobId: row.jobId, operatorId: row.operatorId, answered: row.answered, released: row.released };
}
