import { newId } from "../../lib/ids.js";
import { authorisationEvents, type DbOrTx } from "../../store/index.js";

export interface EventInput {
  subjectType: "grant" | "scenario" | "dataset" | "auto_approval_rule" | "participant";
  subjectId: string;
  actorId: string;
  action: string;
  reason?: string | null;
  details?: Record<string, unknown>;
}

/** Records who changed which authorisation, how and why; call it in the transaction that makes the change. */
export async function recordEvent(tx: DbOrTx, event: EventInput, at = new Date()): Promise<void> {
  await tx.insert(authorisationEvents).values({ id: newId("evt", 12), ...event, reason: event.reason ?? null, at });
}
