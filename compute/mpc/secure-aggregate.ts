import type { ErrorCode } from "../../lib/error-codes.js";
import { ComputeError } from "../errors.js";
import { partialResultSchema, type SignedPlan, verifyPartial } from "../protocol.js";
import { vectorLength } from "../query/schema.js";

/**
 * A node's refusals the operator caused and can act on (its own limit, its own malformed points or
 * ciphertexts, a plan outside what the owner signed): they keep their code and 4xx status. Any other
 * refusal is the platform's fault between gateway and node (502 node-rejected).
 */
const PASSED_ON = [
  "score_quota_exhausted",
  "psi_point_invalid",
  "psi_bitmap_invalid",
  "psi_chunk_repeated",
  "psi_upload_incomplete",
  "ciphertext_invalid",
  "he_key_invalid",
  "query_invalid",
  "plan_not_approved",
] as const satisfies readonly ErrorCode[];

import { addVectors, decodeVector, fromRing } from "./ring.js";

export interface SecureAggregateOptions {
  fetch?: typeof fetch;
  /** How long the whole job may take at each node (ms). */
  timeoutMs?: number;
}

/** Sends the signed plan to one node and returns its answer's JSON, or throws a ComputeError naming the node. */
export function askNode(
  signed: SignedPlan,
  task: SignedPlan["plan"]["tasks"][number],
  options: SecureAggregateOptions,
  cancel: AbortSignal,
): Promise<unknown> {
  return postToNode(task, "/jobs", JSON.stringify(signed), options, cancel);
}

/** POSTs a JSON body to a node and returns its answer's JSON, or throws a ComputeError naming the node. */
export async function postToNode(
  task: { nodeId: string; url: string },
  path: string,
  body: string,
  options: SecureAggregateOptions,
  cancel: AbortSignal,
): Promise<unknown> {
  const fetchNode = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await fetchNode(`${task.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      signal: AbortSignal.any([cancel, AbortSignal.timeout(options.timeoutMs ?? 30_000)]),
    });
  } catch (cause) {
    const timedOut = cause instanceof Error && cause.name === "TimeoutError";
    throw new ComputeError(
      timedOut ? "node_timeout" : "node_unavailable",
      timedOut ? `node ${task.nodeId} did not answer in time` : `node ${task.nodeId} could not be reached`,
      { cause, nodeId: task.nodeId },
    );
  }
  const text = await response.text();
  if (!response.ok) {
    let detail = text.slice(0, 300);
    let type = "";
    try {
      const problem = JSON.parse(text) as { detail?: unknown; type?: unknown };
      detail = String(problem.detail ?? detail);
      type = String(problem.type ?? "");
    } catch {}
    // The operator's own limit, or its own malformed input, at the owner's node is its to act on: it keeps its name.
    const passedOn = PASSED_ON.find((code) => type.endsWith(`/${code.replaceAll("_", "-")}`));
    const code = passedOn ?? (response.status === 504 ? "node_timeout" : "node_rejected");
    throw new ComputeError(code, `node ${task.nodeId} refused the job (${response.status}): ${detail}`, {
      nodeId: task.nodeId,
    });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ComputeError("node_rejected", `node ${task.nodeId} answered with malformed JSON`, {
      cause,
      nodeId: task.nodeId,
    });
  }
}

async function callNode(
  signed: SignedPlan,
  task: SignedPlan["plan"]["tasks"][number],
  options: SecureAggregateOptions,
  cancel: AbortSignal,
) {
  const parsed = partialResultSchema.safeParse(await askNode(signed, task, options, cancel));
  if (!parsed.success) {
    throw new ComputeError("node_rejected", `node ${task.nodeId} answered with a malformed partial`, {
      nodeId: task.nodeId,
    });
  }
  const partial = parsed.data;
  if (
    partial.jobId !== signed.plan.jobId ||
    partial.nodeId !== task.nodeId ||
    !verifyPartial(partial, task.publicKey)
  ) {
    throw new ComputeError("node_rejected", `the partial from node ${task.nodeId} does not verify`, {
      nodeId: task.nodeId,
    });
  }
  try {
    return decodeVector(Buffer.from(partial.partial, "base64url"), vectorLength(signed.plan.query));
  } catch (cause) {
    throw new ComputeError("node_rejected", `the partial from node ${task.nodeId} has the wrong length`, {
      cause,
      nodeId: task.nodeId,
    });
  }
}

/**
 * Runs a secure aggregation: every node secret-shares its (noisy) local cells among all nodes and
 * returns only the sum of the shares it holds; adding those partials reconstructs the noisy totals
 * of the cells and nothing else.
 */
export async function runSecureAggregate(signed: SignedPlan, options: SecureAggregateOptions = {}): Promise<bigint[]> {
  const partials = await allOrNothing(signed, (task, cancel) => callNode(signed, task, options, cancel));
  return addVectors(...partials).map(fromRing);
}

/**
 * Asks every node at once; the first node to fail names the cause and fails the job at once, and
 * the calls still open are cancelled, as their answers are moot.
 */
export function allOrNothing<T>(
  signed: SignedPlan,
  ask: (task: SignedPlan["plan"]["tasks"][number], cancel: AbortSignal) => Promise<T>,
): Promise<T[]> {
  return allOrNothingOf(signed.plan.tasks, ask);
}

/** The same over any parties, in their order. */
export async function allOrNothingOf<P, T>(parties: readonly P[], ask: (party: P, cancel: AbortSignal) => Promise<T>) {
  const cancel = new AbortController();
  return Promise.all(
    parties.map((party) =>
      ask(party, cancel.signal).catch((error: unknown) => {
        cancel.abort();
        throw error;
      }),
    ),
  );
}
