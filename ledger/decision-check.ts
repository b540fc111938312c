import { replayDecision, type StoredDecision } from "../policies/index.js";

export interface DecisionVerdict {
  hash: string;
  verified: boolean;
  detail: string;
  /** The fee an allowing decision set for its job (null: it denied, or cannot be read). */
  priceFen: number | null;
}

/**
 * Replays stored decisions (each as the JSON text of its request, state and decision) against the
 * hashes usage records carry. Runs in the audit's worker threads.
 */
export function replayDecisions(texts: readonly string[], hashes: readonly string[]): DecisionVerdict[] {
  return texts.map((text, i) => {
    const hash = hashes[i] as string;
    try {
      const stored = JSON.parse(text) as StoredDecision;
      const replay = replayDecision(stored, hash);
      const priceFen = stored.decision?.effect === "allow" ? (stored.decision.obligations?.priceFen ?? null) : null;
      return {
        hash,
        verified: replay.verified,
        detail: `hashMatches=${replay.hashMatches} rulesPublished=${replay.rulesPublished} decisionReproduced=${replay.decisionReproduced}`,
        priceFen: typeof priceFen === "number" ? priceFen : null,
      };
    } catch (error) {
      return {
        hash,
        verified: false,
        detail: `the stored decision cannot be replayed: ${(error as Error).message}`,
        priceFen: null,
      };
    }
  });
}
