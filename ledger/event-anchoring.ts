import { and, asc, eq, isNull, type SQL } from "drizzle-orm";
import { type Block, type Contract, EventLog, type JsonRpcProvider } from "ethers";
import { type AuthorisationEvent, authorisationEvents, type Db } from "../store/index.js";
import { fromBytes32Id } from "./client.js";
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

/** Blocks per logs query: Besu refuses wider ranges by default (`--rpc-max-logs-range`, 5,000). */
const LOG_WINDOW_BLOCKS = 5_000;

/** The first block up to `head` stamped at or after `seconds` (Unix time), or null when there is none. */
async function firstBlockAtOrAfter(provider: JsonRpcProvider, head: Block, seconds: number): Promise<number | null> {
  if (head.timestamp < seconds) return null;
  let low = 0;
  let high = head.number;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if ((await blockAt(provider, middle)).timestamp >= seconds) high = middle;
    else low = middle + 1;
  }
  return low;
}

async function blockAt(provider: JsonRpcProvider, tag: number | "latest"): Promise<Block> {
  const block = await provider.getBlock(tag);
  if (!block) throw new LedgerError("chain_response_invalid", `the chain returned no block ${tag}`);
  return block;
}

/**
 * The ids of the events a registry recorded (its `eventName` logs, whose first argument is the
 * event id) in blocks stamped at or after `since`: what the chain says was anchored, to be found in
 * the database.
 */
export async function eventIdsAnchoredSince(
  provider: JsonRpcProvider,
  registry: Contract,
  eventName: string,
  since: Date,
  windowBlocks = LOG_WINDOW_BLOCKS,
): Promise<string[]> {
  const head = await blockAt(provider, "latest");
  const from = await firstBlockAtOrAfter(provider, head, Math.floor(since.getTime() / 1000));
  if (from === null) return [];
  const ids: string[] = [];
  for (let start = from; start <= head.number; start += windowBlocks) {
    const logs = await registry.queryFilter(eventName, start, Math.min(head.number, start + windowBlocks - 1));
    for (const log of logs) {
      const eventId = log instanceof EventLog ? log.args[0] : undefined;
      if (typeof eventId !== "string") {
        throw new LedgerError("chain_response_invalid", `a ${eventName} log without its event id`);
      }
      ids.push(fromBytes32Id(eventId));
    }
  }
  return ids;
}
