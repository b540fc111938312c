import type { KeyObject } from "node:crypto";
import { z } from "zod";
import { canonicalize } from "../../lib/canonical-json.js";
import { signBytes, verifyBytes } from "../../lib/ed25519.js";
import type { AggregateQuery } from "../query/schema.js";
import type { JoinPlan } from "./plan.js";

/** What a node answers the gateway for a join: a compute party its share of the joined cells, the others their part done. */
export const joinPartialSchema = z.object({
  jobId: z.string().min(1).max(128),
  nodeId: z.string().min(1).max(128),
  /** The share of the joined cells (16 bytes a ring element, base64url), or null from a party that only sends. */
  partial: z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/)
    .max(4_000_000)
    .nullable(),
  signature: z.string().regex(/^[A-Za-z0-9_-]{86}$/),
});
export type JoinPartial = z.infer<typeof joinPartialSchema>;

const partialInput = (p: Omit<JoinPartial, "signature">) => canonicalize({ kind: "sluice/join-partial", body: p });

export function signJoinPartial(partial: Omit<JoinPartial, "signature">, key: KeyObject | string): JoinPartial {
  return { ...partial, signature: signBytes(key, partialInput(partial)) };
}

export function verifyJoinPartial(partial: JoinPartial, nodePublicKey: string): boolean {
  const { signature, ...body } = partial;
  return verifyBytes(nodePublicKey, partialInput(body), signature);
}

/** The joined query's measure and bounds, as the noise and the release read them. */
export const joinedQueryOf = (plan: JoinPlan): AggregateQuery => ({ ...plan.query, filters: [] });
