import { canonicalize } from "../lib/canonical-json.js";
import { decide, decisionHash } from "./decide.js";
import { publishedRules } from "./rules.js";
import type { Decision, DecisionRequest, DecisionState } from "./types.js";

export interface StoredDecision {
  request: DecisionRequest;
  state: DecisionState;
  decision: Decision;
}

export interface ReplayResult {
  /** The stored inputs and decision hash to the hash in the usage record. */
  hashMatches: boolean;
  /** The rules the stored state names are a published version. */
  rulesPublished: boolean;
  /** Running the engine again on the stored inputs gives the stored decision, byte for byte. */
  decisionReproduced: boolean;
  replayed: Decision;
  verified: boolean;
}

/** A regulator's replay: re-run the pure engine on the recorded inputs and compare with what was recorded. */
export function replayDecision(stored: StoredDecision, expectedHash: string): ReplayResult {
  const hashMatches = decisionHash(stored.request, stored.state, stored.decision) === expectedHash;
  const rulesPublished = typeof stored.state.rules === "string" && publishedRules(stored.state.rules) !== undefined;
  const replayed = decide(stored.request, stored.state);
  const decisionReproduced = canonicalize(replayed) === canonicalize(stored.decision);
  return {
    hashMatches,
    rulesPublished,
    decisionReproduced,
    replayed,
    verified: hashMatches && rulesPublished && decisionReproduced,
  };
}
