import type { ComputeMode, QueryShape } from "../../lib/vocabulary.js";
import { type Decision, type DecisionRequest, type DecisionState, decide, decisionHash } from "../../policies/index.js";
import { type DbOrTx, decisions } from "../../store/index.js";
import { toMicro } from "../services/scenarios.js";
import { loadDecisionState } from "../services/views.js";

export interface JobInput {
  scenarioId: string;
  computeMode: ComputeMode;
  queryShape: QueryShape;
  fields: string[];
  epsilon: number;
}

export interface Evaluation {
  request: DecisionRequest;
  state: DecisionState;
  decision: Decision;
  hash: string;
}

/** Reads the state at this moment and asks the engine; nothing is written. */
export async function evaluate(db: DbOrTx, operatorId: string, input: JobInput, at: Date): Promise<Evaluation> {
  const request: DecisionRequest = {
    operatorId,
    scenarioId: input.scenarioId,
    computeMode: input.computeMode,
    queryShape: input.queryShape,
    fields: [...new Set(input.fields)].sort(),
    epsilonMicro: toMicro(input.epsilon),
    at: at.toISOString(),
  };
  const state = await loadDecisionState(db, operatorId, input.scenarioId);
  const decision = decide(request, state);
  return { request, state, decision, hash: decisionHash(request, state, decision) };
}

/** Keeps the decision with its exact inputs, so a regulator can replay it from the hash in a usage record. */
export async function storeDecision(db: DbOrTx, evaluation: Evaluation): Promise<void> {
  await db
    .insert(decisions)
    .values({
      hash: evaluation.hash,
      request: evaluation.request as unknown as Record<string, unknown>,
      state: evaluation.state as unknown as Record<string, unknown>,
      decision: evaluation.decision as unknown as Record<string, unknown>,
    })
    .onConflictDoNothing();
}

/** What the runtime can execute today, beyond what the policy allows; null when it can. */
export function notExecutable(input: JobInput, decision: Decision): string | null {
  if (input.computeMode !== "mpc" || input.queryShape !== "sum") {
    return `this gateway executes secure sums (computeMode mpc, queryShape sum); ${input.queryShape} by ${input.computeMode} is not available yet`;
  }
  if (decision.effect === "allow" && decision.obligations.dpMechanism !== "none") {
    return "differential-privacy noise is not available yet, so a query with ε > 0 cannot run; ask with ε 0 where the rules allow it";
  }
  return null;
}
