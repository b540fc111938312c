import { replayDecision, type StoredDecision } from "../policies/index.js";

export interface DecisionVerdict {
  hash: string;
  verified: boolean;
  detail: string;
}

/**
 * Replays stored decisions (each as the JSON text of its request, state and decision) against the
 * hashes usage records carry. Runs in the audit's worker threads.
 */
export function replayDecisions(texts: readonly string[], hashes: readonly string[]): DecisionVerdict[] {
  return texts.map((text, i) => {
    const hash = hashes[i] as string;
    try {
      const replay = replayDecision(JSON.parse(text) as StoredDecision, hash);
      return {
        hash,
        verified: replay.verified,
        detail: `hashMatches=${replay.hashMatches} rulesPublished=${replay.rulesPublished} decisionReproduced=${replay.decisionReproduced}`,
      };
    } catch (error) {
      return { hash, verified: false, detail: `the stored decision cannot be replayed: ${(error as Error).message}` };
    }
  });
}
