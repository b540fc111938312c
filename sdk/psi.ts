import { membershipIn, newBlindingKey } from "../compute/psi/blind.js";
import { type IdentifierKind, normaliseIdentifiers } from "../compute/psi/identifiers.js";
import { PsiPool } from "../compute/psi/pool.js";
import { blindAll, reblindAll } from "../compute/psi/psi-ca.js";
import { shufflePoints } from "../compute/psi/shuffle.js";
import type { PsiStartRequest, SluiceClient } from "./client.js";

export interface PsiOutcome {
  jobId: string;
  usageRecordId: string | undefined;
  /** The intersection's size as released: noisy when the job asked ε > 0; null when below k. */
  size: number | null;
  suppressed: boolean;
  /** For membership: your identifiers the owner holds, normalised. */
  members?: string[];
  /** Your identifiers refused before hashing (not valid codes), and how many repeated. */
  invalid: { index: number; value: string; reason: string }[];
  duplicates: number;
  ownerCount: number;
}

/**
 * Runs a private set intersection with an owner's dataset from the operator's machine: your
 * identifiers are normalised, hashed to the group and raised to a secret exponent made here for
 * this job; only those points leave. For the size, the owner's node counts and releases it (noisy,
 * k-checked); for membership, you compare here. `onStep` and `onProgress` report a long run's
 * progress; a failure or an abort before the answer cancels the job.
 */
export async function privateSetIntersection(
  client: SluiceClient,
  input: PsiStartRequest & { ids: readonly string[] },
  options: {
    pool?: PsiPool;
    onStep?: (step: string) => void;
    /** Items blinded so far of all there are to blind (yours and the owner's), as chunks finish. */
    onProgress?: (done: number, total: number) => void;
    /** Aborting cancels the job: its reservation comes back at once and the owner drops its session. */
    signal?: AbortSignal;
  } = {},
): Promise<PsiOutcome> {
  const { ids, ...start } = input;
  const output = start.output ?? "size";
  const normalised = normaliseIdentifiers(ids, (start.idKind ?? "uscc") as IdentifierKind);
  options.signal?.throwIfAborted();
  options.onStep?.("asking the owner's node for its blinded set");
  const started = await client.startPsi({ ...start, output });
  if (!started.ownerSet) throw new Error(`job ${started.jobId} already ran; start a new one with another job id`);
  const ownerSet = started.ownerSet;
  const pool = options.pool ?? new PsiPool();
  let answered = false;
  try {
    const key = newBlindingKey();
    options.onStep?.(`blinding ${normalised.identifiers.length} identifiers and the owner's ${ownerSet.count}`);
    const total = normalised.identifiers.length + ownerSet.count;
    const done = [0, 0];
    const progress = (side: 0 | 1) => (count: number) => {
      done[side] = count;
      options.onProgress?.((done[0] ?? 0) + (done[1] ?? 0), total);
      options.signal?.throwIfAborted();
    };
    const [mine, theirs] = await Promise.all([
      blindAll(normalised.identifiers, key, pool, undefined, progress(0)),
      reblindAll(Buffer.from(ownerSet.points, "base64"), key, pool, undefined, progress(1)),
    ]);
    options.signal?.throwIfAborted();
    options.onStep?.("sending the answer");
    answered = true;
    const finished = await client.answerPsi(started.jobId, {
      operatorPoints: mine.toString("base64"),
      ...(output === "size" ? { ownerPointsRaised: shufflePoints(Buffer.from(theirs)).toString("base64") } : {}),
    });
    const outcome: PsiOutcome = {
      jobId: finished.jobId,
      usageRecordId: finished.usageRecordId,
      size: finished.result.size,
      suppressed: finished.result.suppressed,
      invalid: normalised.invalid,
      duplicates: normalised.duplicates,
      ownerCount: ownerSet.count,
    };
    if (output === "membership") {
      const inSet = membershipIn(Buffer.from(finished.result.answers ?? "", "base64"), theirs);
      outcome.members = normalised.identifiers.filter((_, i) => inSet[i]);
      outcome.size = outcome.members.length;
    }
    return outcome;
  } catch (error) {
    // Failed or interrupted before answering: give the job up now rather than at the window's end.
    if (!answered) await client.cancelPsi(started.jobId).catch(() => undefined);
    throw error;
  } finally {
    if (!options.pool) await pool.close();
  }
}
