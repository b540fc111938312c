import { decodeVector, sumInRing } from "../compute/mpc/ring.js";
import { membershipIn, newBlindingKey } from "../compute/psi/blind.js";
import { encodeBitmap } from "../compute/psi/helper-protocol.js";
import { type IdentifierKind, normaliseIdentifiers } from "../compute/psi/identifiers.js";
import { PsiPool } from "../compute/psi/pool.js";
import { blindAll, reblindAll } from "../compute/psi/psi-ca.js";
import { shufflePoints } from "../compute/psi/shuffle.js";
import type { PsiOwnerSet, PsiStartRequest, SluiceClient } from "./client.js";

export interface PsiOutcome {
  jobId: string;
  usageRecordId: string | undefined;
  /**
   * The intersection's size as released: noisy when the job asked ε > 0, null when below k; for a
   * sum, the exact number of the owner's entities matched (which matching reveals to you).
   */
  size: number | null;
  suppressed: boolean;
  /** For membership: your identifiers the owner holds, normalised. */
  members?: string[];
  /** For a sum: the owner's column summed over the intersection, noisy, in the field's unit; null below k. */
  sum?: number | null;
  /** Your identifiers refused before hashing (not valid codes), and how many repeated. */
  invalid: { index: number; value: string; reason: string }[];
  duplicates: number;
  /** How many distinct identifiers the owner brought. */
  ownerCount: number;
  /** With combineWith: how many the second owner brought. */
  secondOwnerCount?: number;
}

/**
 * A sum's release from the owner's entities (in the owner's shuffled order, raised to your exponent)
 * and its answers: which entities matched, and your shares summed over them modulo 2^128.
 */
function sumRelease(ownerRaised: Buffer, answers: Buffer, ownerSet: PsiOwnerSet) {
  const matched = membershipIn(ownerRaised, answers);
  const shares = decodeVector(Buffer.from(ownerSet.operatorShares ?? "", "base64"), ownerSet.count);
  const partial = sumInRing(shares.filter((_, i) => matched[i]));
  return { matched: Buffer.from(encodeBitmap(matched)).toString("base64"), operatorPartial: partial.toString() };
}

/**
 * Runs a private set intersection with an owner's dataset (or two owners', with `combineWith`) from
 * the operator's machine: your identifiers are normalised, hashed to the group and raised to a
 * secret exponent made here for this job; only those points leave. For the size, the owner's node
 * (two owners: the helper) counts and releases it, noisy and k-checked; for membership, you compare
 * here; for a sum, you find the matched entities here and the helper releases the noisy sum.
 * `onStep` and `onProgress` report a long run's progress; a failure or an abort before the end
 * cancels the job.
 */
export async function privateSetIntersection(
  client: SluiceClient,
  input: PsiStartRequest & { ids: readonly string[] },
  options: {
    pool?: PsiPool;
    onStep?: (step: string) => void;
    /** Items blinded so far of all there are to blind (yours and the owners'), as chunks finish. */
    onProgress?: (done: number, total: number) => void;
    /** Aborting cancels the job: its reservation comes back at once and the owners drop their sessions. */
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
  const ownerSets = [started.ownerSet, ...(started.secondOwnerSet ? [started.secondOwnerSet] : [])];
  const pool = options.pool ?? new PsiPool();
  let settled = false;
  try {
    const key = newBlindingKey();
    const counts = ownerSets.map((s) => s.count);
    options.onStep?.(`blinding ${normalised.identifiers.length} identifiers and the owners' ${counts.join(" + ")}`);
    const total = normalised.identifiers.length + counts.reduce((a, b) => a + b, 0);
    const done = ownerSets.map(() => 0).concat(0);
    const progress = (side: number) => (count: number) => {
      done[side] = count;
      options.onProgress?.(
        done.reduce((a, b) => a + b, 0),
        total,
      );
      options.signal?.throwIfAborted();
    };
    const [mine, ...theirs] = (await Promise.all([
      blindAll(normalised.identifiers, key, pool, undefined, progress(0)),
      ...ownerSets.map((set, i) =>
        reblindAll(Buffer.from(set.points, "base64"), key, pool, undefined, progress(i + 1)),
      ),
    ])) as [Buffer, Buffer, ...Buffer[]];
    options.signal?.throwIfAborted();
    options.onStep?.("sending the answer");
    const operatorPoints = mine.toString("base64");
    const outcome = (finished: Awaited<ReturnType<typeof client.answerPsi>>): PsiOutcome => ({
      jobId: finished.jobId,
      usageRecordId: finished.usageRecordId,
      size: finished.result.size,
      suppressed: finished.result.suppressed,
      invalid: normalised.invalid,
      duplicates: normalised.duplicates,
      ownerCount: started.ownerSet?.count ?? 0,
      ...(started.secondOwnerSet ? { secondOwnerCount: started.secondOwnerSet.count } : {}),
    });
    if (output === "sum") {
      const answered = await client.answerPsi(started.jobId, { operatorPoints });
      options.signal?.throwIfAborted();
      options.onStep?.("matching and releasing the sum");
      const release = sumRelease(theirs[0], Buffer.from(answered.answers ?? "", "base64"), started.ownerSet);
      settled = true;
      const finished = await client.releasePsiSum(started.jobId, release);
      return { ...outcome(finished), sum: finished.result.sum ?? null };
    }
    const raisedShuffled = (i: number) => shufflePoints(Buffer.from(theirs[i] as Buffer)).toString("base64");
    settled = true;
    const finished = await client.answerPsi(started.jobId, {
      operatorPoints,
      ...(output === "size" ? { ownerPointsRaised: raisedShuffled(0) } : {}),
      ...(theirs.length > 1 ? { secondOwnerPointsRaised: raisedShuffled(1) } : {}),
    });
    const result = outcome(finished);
    if (output === "membership") {
      const inSet = membershipIn(Buffer.from(finished.result.answers ?? "", "base64"), theirs[0]);
      result.members = normalised.identifiers.filter((_, i) => inSet[i]);
      result.size = result.members.length;
    }
    return result;
  } catch (error) {
    // Failed or interrupted before the gateway settled it: give the job up now rather than at the window's end.
    if (!settled) await client.cancelPsi(started.jobId).catch(() => undefined);
    throw error;
  } finally {
    if (!options.pool) await pool.close();
  }
}
