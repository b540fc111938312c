import { and, asc, eq, isNull, type SQL } from "drizzle-orm";
import { type AuthorisationEvent, authorisationEvents, type Db } from "../store/index.js";
import { LedgerError } from "./errors.js";

const ZERO = `0x${"0".repeat(64)}`;

/** What the two event registries (participants, authorisations) have in common. */
export interface EventRegistry {
  /** The record hash anchored for an event id, or zero when none was. */
  recordOf(eventId: string): Promise<string>;
  /** Anchors the event; returns the transaction hash. */
  record(event: AuthorisationEvent): Promise<string>;
  findTransaction(eventId: string): Promise<string | null>;
}

/**
 * Anchors the events `which` selects that are not on chain yet, in the order they were written.
 * Idempotent: an event already on chain (a crash after sending) is only marked; one on chain with
 * another record hash is an error, never overwritten.
 */
export async function anchorEvents(
  db: Db,
  registry: EventRegistry,
  which: SQL,
  recordHashOf: (event: AuthorisationEvent) => string,
  limit = 100,
): Promise<number> {
  const pending = await db
    .select()
    .from(authorisationEvents)
    .where(and(which, isNull(authorisationEvents.anchorTxHash)))
    .orderBy(asc(authorisationEvents.seq))
    .limit(limit);
  for (const event of pending) {
    const expected = recordHashOf(event);
    const onChain = await registry.recordOf(event.id);
    let txHash: string | null;
    if (onChain === ZERO) txHash = await registry.record(event);
    else if (onChain === expected) txHash = await registry.findTransaction(event.id);
    else throw new LedgerError("anchor_conflict", `event ${event.id} is on chain with another record hash`);
    await db
      .update(authorisationEvents)
      .set({ anchorTxHash: txHash ?? "unknown" })
      .where(eq(authorisationEvents.id, event.id));
  }
  return pending.length;
}

/** Whether a stored event still matches what was anchored for it. */
export async function verifyEvent(
  registry: EventRegistry,
  event: AuthorisationEvent,
  recordHashOf: (event: AuthorisationEvent) => string,
) {
  const recordHash = recordHashOf(event);
  const onChain = event.anchorTxHash ? await registry.recordOf(event.id) : null;
  return { anchored: event.anchorTxHash !== null, recordHash, onChain, verified: onChain === recordHash };
}
