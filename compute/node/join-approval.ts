import type { JoinPart, JoinPlan } from "../join/plan.js";
import { fieldsReadBy } from "../query/schema.js";
import { outsideTerms } from "./approval-check.js";
import type { OneNodeContext } from "./one-node-routes.js";

/** Why this owner's part is outside what its owner signed, or null. */
export function partOutsideApproval(plan: JoinPlan, part: JoinPart, ctx: OneNodeContext): string | null {
  const { task } = part;
  const read = [task.field, ...(part.measuredField ? [part.measuredField] : []), ...fieldsReadBy(part.query)];
  const refusal = outsideTerms(
    {
      terms: plan.terms,
      scenarioId: plan.scenarioId,
      computeMode: "join",
      shape: plan.query.aggregate,
      datasetId: task.datasetId,
      fieldsRead: read,
      minGroupSize: plan.minGroupSize,
      epsilonMicro: plan.epsilonMicro,
    },
    task.approval,
    { ...ctx.approval, now: ctx.now() },
  );
  if (refusal) return refusal;
  // With whom: every other dataset of the join is one the owner signed the scenario with.
  const approvedDatasets = new Set(plan.terms.fields.map((f) => f.slice(0, f.indexOf("."))));
  const stranger = plan.parts.find((p) => !approvedDatasets.has(p.task.datasetId));
  if (stranger) return `the join brings in ${stranger.task.datasetId}, which is not in the scenario's terms`;
  // What leaves: this part computes the joined query's shape, groups and bins, and nothing else.
  const holdsMeasure = part.measuredField !== null;
  if (part.query.aggregate !== (holdsMeasure ? plan.query.aggregate : "count"))
    return "this part's aggregate is not the joined query's";
  if (
    holdsMeasure &&
    JSON.stringify([part.query.bins, part.query.bounds]) !== JSON.stringify([plan.query.bins, plan.query.bounds])
  )
    return "this part's bins or bounds are not the joined query's";
  if (part.query.groupBy && JSON.stringify(part.query.groupBy) !== JSON.stringify(plan.query.groupBy))
    return "this part's groups are not the joined query's";
  return null;
}
