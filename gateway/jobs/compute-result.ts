import { releaseCells } from "../../compute/dp/release.js";
import { runEncryptedAggregate } from "../../compute/he/encrypted-aggregate.js";
import { type QueryPlan, runSecureAggregate, signPlan } from "../../compute/index.js";
import type { Decision } from "../../policies/index.js";
import type { HeKeysRow } from "../../store/index.js";
import type { GatewayDeps, GatewayLimits } from "../deps.js";
import { describeNoise } from "./noise-description.js";

type Allowed = Extract<Decision, { effect: "allow" }>;

/**
 * Runs the signed plan at the nodes and shapes what the operator receives: released cells for
 * secret sharing; for homomorphic encryption the total still encrypted, for the operator's key only.
 */
export async function computeResult(
  deps: GatewayDeps,
  limits: GatewayLimits,
  plan: QueryPlan,
  context: { fields: string[]; decision: Allowed; heKeys?: HeKeysRow },
): Promise<Record<string, unknown>> {
  const signed = signPlan(plan, deps.gatewayKeys.privateKey);
  const options = { fetch: deps.fetch, timeoutMs: limits.nodeTimeoutMs };
  const { obligations } = context.decision;
  const owners = plan.tasks.filter((t) => t.role === "owner").length;
  const common = {
    queryShape: plan.query.aggregate,
    fields: context.fields,
    query: plan.query,
    minGroupSize: obligations.minGroupSize,
    // Every party adds noise: the owners, and the helper when there is one.
    noise: describeNoise(plan.query, plan.valueScale, owners, plan.tasks.length, plan.epsilonMicro),
    classification: obligations.resultClassification,
  };
  if (plan.computeMode === "he") {
    const ciphertext = await runEncryptedAggregate(signed, options);
    return {
      ...common,
      value: null,
      cells: [],
      suppressedCells: 0,
      encrypted: {
        keysId: context.heKeys?.id,
        paramSet: plan.he?.paramSet,
        fingerprint: context.heKeys?.fingerprint,
        valueScale: plan.valueScale,
        ciphertext,
        note: "each owner withheld its own cells below k and added its noise before encrypting; decrypt with your secret key (sdk decryptJobResult)",
      },
    };
  }
  const cells = await runSecureAggregate(signed, options);
  return {
    ...common,
    ...releaseCells(plan.query, cells, obligations.minGroupSize, plan.valueScale),
  };
}
