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
 * k-checked); for membership, you compare here. `onStep` reports progress for a long run.
 */
export async function privateSetIntersection(
  client: SluiceClient,
  input: PsiStartRequest & { ids: readonly string[] },
  options: { pool?: PsiPool; onStep?: (step: string) => void } = {},
): Promise<PsiOutcome> {
  const { ids, ...start } = input;
  const output = start.output ?? "size";
  const normalised = normaliseIdentifiers(ids, (start.idKind ?? "uscc") as IdentifierKind);
  options.onStep?.("asking the owner's node for its blinded set");
  const started = await client.startPsi({ ...start, output });
  if (!started.ownerSet) throw new Error(`job ${started.jobId} already ran; start a new one with another job id`);
  const pool = options.pool ?? new PsiPool();
  try {
    const key = newBlindingKey();
    options.onStep?.(`blinding ${normalised.identifiers.length} identifiers and the owner's ${started.ownerSet.count}`);
    const [mine, theirs] = await Promise.all([
      blindAll(normalised.identifiers, key, pool),
      reblindAll(Buffer.from(started.ownerSet.points, "base64"), key, pool),
    ]);
    options.onStep?.("sending the answer");
    const done = await client.answerPsi(started.jobId, {
      operatorPoints: mine.toString("base64"),
      ...(output === "size" ? { ownerPointsRaised: shufflePoints(Buffer.from(theirs)).toString("base64") } : {}),
    });
    const outcome: PsiOutcome = {
      jobId: done.jobId,
      usageRecordId: done.usageRecordId,
      size: done.result.size,
      suppressed: done.result.suppressed,
      invalid: normalised.invalid,
      duplicates: normalised.duplicates,
      ownerCount: started.ownerSet.count,
    };
    if (output === "membership") {
      const inSet = membershipIn(Buffer.from(done.result.answers ?? "", "base64"), theirs);
      outcome.members = normalised.identifiers.filter((_, i) => inSet[i]);
      outcome.size = outcome.members.length;
    }
    return outcome;
  } finally {
    if (!options.pool) await pool.close();
  }
}
