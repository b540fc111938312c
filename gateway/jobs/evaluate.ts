import { AGGREGATES, type AggregateQuery, aggregateQuerySchema } from "../../compute/query/schema.js";
import { parseWith } from "../../lib/validate.js";
import type { ComputeMode, QueryShape } from "../../lib/vocabulary.js";
import { type Decision, type DecisionRequest, type DecisionState, decide, decisionHash } from "../../policies/index.js";
import { type DbOrTx, decisions } from "../../store/index.js";
import { toMicro } from "../services/scenarios.js";
import { loadDecisionState } from "../services/views.js";

export interface JobInput {
  jobId?: string;
  scenarioId: string;
  computeMode: ComputeMode;
  queryShape: QueryShape;
  /** The measured field of each dataset, qualified. */
  fields: string[];
  epsilon: number;
  heKeysId?: string;
  filters?: AggregateQuery["filters"];
  groupBy?: AggregateQuery["groupBy"];
  bins?: AggregateQuery["bins"];
  bounds?: AggregateQuery["bounds"];
}

/** The measured fields and, for each of their datasets, every field the filters and groups read. */
export function fieldsRequested(input: JobInput): string[] {
  const datasetIds = [...new Set(input.fields.map((f) => f.slice(0, f.indexOf("."))))];
  const read = [
    ...new Set([...(input.filters ?? []).map((f) => f.field), ...(input.groupBy ? [input.groupBy.field] : [])]),
  ];
  return [...new Set([...input.fields, ...datasetIds.flatMap((d) => read.map((f) => `${d}.${f}`))])].sort();
}

/** The query every node runs, validated; throws a ValidationError naming what is wrong. */
export function aggregateQueryOf(input: JobInput): AggregateQuery {
  return parseWith(
    aggregateQuerySchema,
    {
      aggregate: input.queryShape,
      filters: input.filters ?? [],
      ...(input.groupBy ? { groupBy: input.groupBy } : {}),
      ...(input.bins ? { bins: input.bins } : {}),
      ...(input.bounds ? { bounds: input.bounds } : {}),
    },
    "the query",
  );
}

export interface Evaluation {
  request: DecisionRequest;
  state: DecisionState;
  decision: Decision;
  hash: string;
}

/** Reads the state at this moment and asks the engine; nothing is written. */
export function evaluate(db: DbOrTx, operatorId: string, input: JobInput, at: Date): Promise<Evaluation> {
  return evaluateFields(db, operatorId, input, fieldsRequested(input), at);
}

/** The same for any kind of job, given every qualified field it reads. */
export async function evaluateFields(
  db: DbOrTx,
  operatorId: string,
  input: { scenarioId: string; computeMode: ComputeMode; queryShape: QueryShape; epsilon: number },
  fields: string[],
  at: Date,
): Promise<Evaluation> {
  const request: DecisionRequest = {
    operatorId,
    scenarioId: input.scenarioId,
    computeMode: input.computeMode,
    queryShape: input.queryShape,
    fields: [...new Set(fields)].sort(),
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
export function notExecutable(input: JobInput): string | null {
  if (input.computeMode === "he") {
    if (!(ENCRYPTED_AGGREGATES as readonly string[]).includes(input.queryShape)) {
      return `encrypted aggregation (computeMode he) runs ${ENCRYPTED_AGGREGATES.join(", ")}; ${input.queryShape} is not available by he yet`;
    }
    if (!input.heKeysId) return "computeMode he needs heKeysId: register your public keys first (sluice he-register)";
    return null;
  }
  if (input.computeMode !== "mpc" || !(AGGREGATES as readonly string[]).includes(input.queryShape)) {
    return `this gateway executes aggregates by secure multi-party computation (computeMode mpc, queryShape ${AGGREGATES.join(", ")}) or encrypted aggregation (computeMode he); ${input.queryShape} by ${input.computeMode} is not available yet`;
  }
  return null;
}

/** What BFV adds exactly: counts and integer sums (a mean is the operator's division afterwards). */
export const ENCRYPTED_AGGREGATES = ["count", "sum", "histogram"] as const;
