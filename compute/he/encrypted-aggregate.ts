import { ComputeError } from "../errors.js";
import { allOrNothing, askNode, type SecureAggregateOptions } from "../mpc/secure-aggregate.js";
import { encryptedPartialSchema, type SignedPlan, verifyEncryptedPartial } from "../protocol.js";
import { vectorLength } from "../query/schema.js";
import { hePool } from "./pool.js";

/**
 * Runs an encrypted aggregation: every owner encrypts its (noisy, k-withheld) cells under the
 * operator's public key; the gateway checks each ciphertext and adds them without reading them.
 * Returns the total, still encrypted: only the operator's secret key opens it.
 */
export async function runEncryptedAggregate(signed: SignedPlan, options: SecureAggregateOptions = {}): Promise<string> {
  const { plan } = signed;
  if (plan.computeMode !== "he" || !plan.he) throw new ComputeError("plan_invalid", "not an encrypted plan");
  const length = vectorLength(plan.query);
  const ciphertexts = await allOrNothing(signed, async (task, cancel) => {
    const parsed = encryptedPartialSchema.safeParse(await askNode(signed, task, options, cancel));
    if (!parsed.success) {
      throw new ComputeError("node_rejected", `node ${task.nodeId} answered with a malformed encrypted partial`, {
        nodeId: task.nodeId,
      });
    }
    const partial = parsed.data;
    if (
      partial.jobId !== plan.jobId ||
      partial.nodeId !== task.nodeId ||
      !verifyEncryptedPartial(partial, task.publicKey)
    ) {
      throw new ComputeError("node_rejected", `the encrypted partial from node ${task.nodeId} does not verify`, {
        nodeId: task.nodeId,
      });
    }
    if (partial.length !== length) {
      throw new ComputeError(
        "node_rejected",
        `node ${task.nodeId} encrypted ${partial.length} numbers; this job has ${length}`,
        {
          nodeId: task.nodeId,
        },
      );
    }
    return partial.ciphertext;
  });
  try {
    return await hePool().addCiphertexts(plan.he.paramSet, ciphertexts);
  } catch (error) {
    if ((error as { code?: string }).code === "ciphertext_invalid") {
      throw new ComputeError("node_rejected", (error as Error).message, { cause: error });
    }
    throw error;
  }
}
