import { SluiceError } from "../../lib/errors.js";
import type { NodeTask, OwnerTask } from "../protocol.js";

/**
 * The first checks of any one-node plan (scoring, PSI): signed by the gateway this node trusts,
 * not expired, and addressed to this node's own key. Returns the node's task.
 */
export function admitPlan(
  signedByGateway: boolean,
  plan: { expiresAt: string; task: NodeTask },
  node: { nodeId: string; publicKey: string; now: Date },
): OwnerTask {
  if (!signedByGateway)
    throw new SluiceError("unauthenticated", "the plan is not signed by the gateway this node trusts");
  if (Date.parse(plan.expiresAt) <= node.now.getTime()) {
    throw new SluiceError("plan_expired", `the plan expired at ${plan.expiresAt}`);
  }
  const task = plan.task;
  if (task.role !== "owner" || task.nodeId !== node.nodeId || task.publicKey !== node.publicKey) {
    throw new SluiceError("forbidden", `this plan is for node ${task.nodeId}, not this one`);
  }
  return task;
}
