import type { z } from "zod";
import { joinedNoiseScales } from "../../compute/dp/noise.js";
import { releaseCells } from "../../compute/dp/release.js";
import { ComputeError } from "../../compute/errors.js";
import { addJoinShares, joinRing } from "../../compute/join/join-ring.js";
import { joinedQueryOf, joinPartialSchema, verifyJoinPartial } from "../../compute/join/partial.js";
import { type JoinPart, type JoinPlan, rowCapsOf, signJoinPlan } from "../../compute/join/plan.js";
import { joinRingBits } from "../../compute/join/ring-bits.js";
import { decodeVector } from "../../compute/mpc/ring.js";
import { allOrNothingOf, postToNode } from "../../compute/mpc/secure-aggregate.js";
import { type AggregateQuery, aggregateQuerySchema, filterSchema, vectorLength } from "../../compute/query/schema.js";
import { canonicalHash } from "../../lib/canonical-json.js";
import { SluiceError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { parseWith } from "../../lib/validate.js";
import type { GatewayDeps, GatewayLimits } from "../deps.js";
import type { runJoinSchema } from "../schemas.js";
import { approvalProofs } from "./approval-proofs.js";
import { checkQueryTypes } from "./check-query.js";
import { completeJob, decideAllowed, earlierOutcome, failJob, holdForReview, reserveJob } from "./lifecycle.js";
import { describeNoiseScales } from "./noise-description.js";
import { helperTask, ownerTaskFor, valueScaleOf } from "./plan-tasks.js";

export type JoinInput = z.infer<typeof runJoinSchema>;

const split = (qualified: string) => {
  const dot = qualified.indexOf(".");
  return [qualified.slice(0, dot), qualified.slice(dot + 1)] as [string, string];
};
const invalid = (message: string) => new SluiceError("query_invalid", message);

/** One owner's share of the joined query: its key, its filters, its group-by or its measure. */
interface PlannedPart {
  datasetId: string;
  keyField: string;
  measuredField: string | null;
  query: AggregateQuery;
}

/**
 * Splits the joined query by owner, in fold order (the group-by owner, then the measure's owner,
 * then the rest), each part naming only its own columns; throws naming a field of a dataset that
 * is not joined, or a shape that needs a measure without one.
 */
export function splitJoinedQuery(input: JoinInput): { joined: AggregateQuery; parts: PlannedPart[] } {
  const datasets = input.on.map((o) => o.datasetId);
  if (new Set(datasets).size !== datasets.length) throw invalid("each dataset is joined once");
  const joinedDataset = (qualified: string, what: string) => {
    const [datasetId, field] = split(qualified);
    if (!datasets.includes(datasetId)) throw invalid(`${what} ${qualified} is not a field of a joined dataset`);
    return [datasetId, field] as const;
  };
  if (input.queryShape !== "count" && !input.measure) throw invalid(`a joined ${input.queryShape} names its measure`);
  const measure = input.measure ? joinedDataset(input.measure, "the measure") : null;
  const group = input.groupBy ? joinedDataset(input.groupBy.field, "the group-by field") : null;
  const filters = input.filters.map((f) => {
    const [datasetId, field] = joinedDataset(f.field, "the filtered field");
    return { datasetId, filter: parseWith(filterSchema, { ...f, field }, "a filter") };
  });
  const joined = parseWith(
    aggregateQuerySchema,
    {
      aggregate: input.queryShape,
      filters: [],
      ...(group ? { groupBy: { field: group[1], values: input.groupBy?.values } } : {}),
      ...(input.bins ? { bins: input.bins } : {}),
      ...(input.bounds ? { bounds: input.bounds } : {}),
    },
    "the joined query",
  );
  const order = [...new Set([group?.[0], measure?.[0], ...datasets].filter((d): d is string => d !== undefined))];
  const parts = order.map((datasetId) => {
    const on = input.on.find((o) => o.datasetId === datasetId) as JoinInput["on"][number];
    const holdsMeasure = measure?.[0] === datasetId;
    const query = parseWith(
      aggregateQuerySchema,
      {
        aggregate: holdsMeasure ? input.queryShape : "count",
        filters: filters.filter((f) => f.datasetId === datasetId).map((f) => f.filter),
        ...(group?.[0] === datasetId ? { groupBy: joined.groupBy } : {}),
        ...(holdsMeasure && joined.bins ? { bins: joined.bins } : {}),
        ...(holdsMeasure && joined.bounds ? { bounds: joined.bounds } : {}),
      },
      `the part of the query at ${datasetId}`,
    );
    return { datasetId, keyField: on.keyField, measuredField: holdsMeasure ? (measure?.[1] as string) : null, query };
  });
  return { joined, parts };
}

/** Every qualified field the join reads: the keys, the measure, the filtered and grouped fields. */
export function fieldsOfJoin(parts: PlannedPart[]): string[] {
  return [
    ...new Set(
      parts.flatMap((p) => [
        `${p.datasetId}.${p.keyField}`,
        ...(p.measuredField ? [`${p.datasetId}.${p.measuredField}`] : []),
        ...p.query.filters.map((f) => `${p.datasetId}.${f.field}`),
        ...(p.query.groupBy ? [`${p.datasetId}.${p.query.groupBy.field}`] : []),
      ]),
    ),
  ].sort();
}

/** Asks every party of the join at once and returns the two compute parties' verified shares. */
async function computeJoin(
  deps: GatewayDeps,
  limits: GatewayLimits,
  plan: JoinPlan,
  operatorIds: string[] | undefined,
): Promise<bigint[][]> {
  const signedPlan = signJoinPlan(plan, deps.gatewayKeys.privateKey);
  const signed = JSON.stringify(signedPlan);
  // The operator's list goes to the first part's node only, beside the plan that binds it.
  const first = operatorIds ? JSON.stringify({ ...signedPlan, operatorIds }) : signed;
  const tasks = [...plan.parts.map((p) => p.task), plan.helper];
  const length = vectorLength(joinedQueryOf(plan));
  const options = { fetch: deps.fetch, timeoutMs: limits.nodeTimeoutMs };
  const answers = await allOrNothingOf(tasks, async (task, cancel) => {
    const body = task.nodeId === plan.parts[0]?.task.nodeId ? first : signed;
    const parsed = joinPartialSchema.safeParse(await postToNode(task, "/joins", body, options, cancel));
    const partial = parsed.data;
    if (
      !partial ||
      partial.jobId !== plan.jobId ||
      partial.nodeId !== task.nodeId ||
      !verifyJoinPartial(partial, task.publicKey)
    )
      throw new ComputeError("node_rejected", `the answer of node ${task.nodeId} is malformed or does not verify`, {
        nodeId: task.nodeId,
      });
    return partial;
  });
  return answers.slice(0, 2).map((answer) => {
    try {
      return decodeVector(Buffer.from(answer.partial ?? "", "base64url"), length);
    } catch (cause) {
      throw new ComputeError("node_rejected", `the share from node ${answer.nodeId} has the wrong length`, {
        cause,
        nodeId: answer.nodeId,
      });
    }
  });
}

/**
 * Runs a joined aggregate across two or three owners on their key columns: decide over every field
 * it reads, reserve, have the owners' nodes and the helper join and aggregate under secret sharing
 * (`compute/README.md`, *Joined aggregates*), release the noisy cells with k, and finish with the
 * usage record. A failure gives the reservation back.
 */
export async function runJoin(
  deps: GatewayDeps,
  limits: GatewayLimits,
  operatorId: string,
  input: JoinInput,
  requestId?: string,
) {
  const earlier = await earlierOutcome(deps, operatorId, input);
  if (earlier) return earlier;
  const { joined, parts } = splitJoinedQuery(input);
  for (const part of parts) {
    await checkQueryTypes(deps.db, [`${part.datasetId}.${part.measuredField ?? part.keyField}`], part.query);
  }
  const now = deps.now?.() ?? new Date();
  const evaluation = await decideAllowed(
    deps,
    operatorId,
    { scenarioId: input.scenarioId, computeMode: "join", queryShape: input.queryShape, epsilon: input.epsilon },
    fieldsOfJoin(parts),
    now,
  );
  const { decision, hash } = evaluation;
  const proofs = await approvalProofs(deps.db, input.scenarioId);
  const measured = parts.find((p) => p.measuredField !== null);
  const valueScale = measured ? await valueScaleOf(deps.db, measured.datasetId, measured.measuredField as string) : 1;
  const planned: JoinPart[] = await Promise.all(
    parts.map(async (part) => ({
      task: await ownerTaskFor(deps.db, part.datasetId, part.keyField, proofs),
      keyKind: input.keyKind,
      measuredField: part.measuredField,
      query: part.query,
      maxRowsPerKey: input.maxRowsPerKey,
    })),
  );
  if (new Set(planned.map((p) => p.task.nodeId)).size !== planned.length)
    throw new SluiceError("not_executable", "the joined datasets must be held by different owners' nodes");
  const helper = await helperTask(deps.db, "a joined aggregate needs the platform's helper node");
  const jobId = input.jobId ?? newId("job");
  const epsilonMicro = evaluation.request.epsilonMicro;
  await reserveJob(deps, { jobId, operatorId, evaluation, epsilon: input.epsilon, requestId, now });

  const plan: JoinPlan = {
    version: 1,
    jobId,
    scenarioId: input.scenarioId,
    computeMode: "join",
    query: {
      aggregate: joined.aggregate,
      ...(joined.groupBy ? { groupBy: joined.groupBy } : {}),
      ...(joined.bins ? { bins: joined.bins } : {}),
      ...(joined.bounds ? { bounds: joined.bounds } : {}),
    },
    parts: planned,
    helper,
    minGroupSize: decision.obligations.minGroupSize,
    ...(input.operatorIds
      ? { operatorIds: { count: input.operatorIds.length, digest: canonicalHash(input.operatorIds) } }
      : {}),
    valueScale,
    epsilonMicro,
    decisionHash: hash,
    ...(requestId ? { requestId } : {}),
    terms: proofs.terms,
    issuedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + limits.nodeTimeoutMs).toISOString(),
  };
  let cells: bigint[];
  try {
    const [a, b] = (await computeJoin(deps, limits, plan, input.operatorIds)) as [bigint[], bigint[]];
    cells = addJoinShares(joinRing(joinRingBits(plan)), a, b);
  } catch (error) {
    throw await failJob(deps, jobId, error);
  }
  const scales = joinedNoiseScales(joined, valueScale, rowCapsOf(plan), epsilonMicro);
  const result = {
    queryShape: input.queryShape,
    fields: fieldsOfJoin(parts),
    measure: input.measure ?? null,
    join: {
      on: input.on,
      keyKind: input.keyKind,
      maxRowsPerKey: input.maxRowsPerKey,
      ...(input.operatorIds ? { restrictedTo: `your list of ${input.operatorIds.length} ids` } : {}),
    },
    query: joined,
    minGroupSize: decision.obligations.minGroupSize,
    // The helper and both compute parties each add one sample: ε-DP while any one of them is honest.
    noise: describeNoiseScales(scales, valueScale, 3, epsilonMicro),
    classification: decision.obligations.resultClassification,
    ...releaseCells(joined, cells, decision.obligations.minGroupSize, valueScale),
  };
  // The owners' review, when the scenario asks it, sees the released (noisy, k-suppressed) cells.
  if (decision.obligations.requiresResultReview) return holdForReview(deps, jobId, result, decision, hash);
  const usageRecordId = await completeJob(deps, jobId, evaluation, result, deps.now?.() ?? new Date());
  return { jobId, status: "succeeded" as const, result, usageRecordId, decisionHash: hash };
}
