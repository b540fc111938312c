import { randomInt } from "node:crypto";
import type { Db } from "../store/index.js";
import { type AnchorOptions, anchorBacklog } from "./anchor.js";
import { type AuthorisationRegistryClient, anchorAuthorisationEvents } from "./authorisation-registry.js";
import type { LeaderLease } from "./leader-lease.js";
import { anchorParticipantEvents, type ParticipantRegistryClient } from "./participant-registry.js";
import type { SettlementClient } from "./settlement-client.js";
import { anchorPendingStatements } from "./statement-anchor.js";

export interface AnchorWorkerOptions extends AnchorOptions {
  /** Pause between passes while all is well (ms). */
  intervalMs?: number;
  /** Longest pause after failures; the pause doubles with each failure in a row up to this (ms). */
  maxBackoffMs?: number;
  onError?: (error: unknown, retryInMs: number) => void;
  /** Also anchor admissions, key rotations and revocations. */
  participantRegistry?: ParticipantRegistryClient;
  /** Also anchor dataset registrations, grants, scenarios and owners' approvals. */
  authorisationRegistry?: AuthorisationRegistryClient;
  /** Also anchor settlement statements a chain outage left unanchored. */
  settlement?: SettlementClient;
  /**
   * Where replicas share the database: only the replica holding this lease anchors, so one sends
   * from the chain account at a time; the others stand by and take over when it lapses.
   */
  lease?: LeaderLease;
}

/** The pause before the next pass: the interval while all is well, then doubling per failure (with ±25% jitter) up to the cap. */
export function nextDelayMs(failuresInARow: number, intervalMs: number, maxBackoffMs: number): number {
  if (failuresInARow === 0) return intervalMs;
  const backoff = Math.min(maxBackoffMs, intervalMs * 2 ** Math.min(failuresInARow, 30));
  const jitter = Math.floor(backoff / 4);
  return Math.max(1, backoff - jitter + (jitter > 0 ? randomInt(2 * jitter + 1) : 0));
}

async function drainRegistries(db: Db, options: AnchorWorkerOptions) {
  if (options.participantRegistry) await anchorParticipantEvents(db, options.participantRegistry);
  if (options.authorisationRegistry) await anchorAuthorisationEvents(db, options.authorisationRegistry);
  if (options.settlement) await anchorPendingStatements(db, options.settlement);
}

/**
 * Anchors on an interval until stopped: a pass drains the backlog (up to 16 batches, the next sealed
 * while the last is sent) and one that stopped at 16 is followed at once by the next; a failed pass (chain down, slow or refusing) backs off
 * exponentially, and the records wait in the outbox meanwhile.
 */
export function createAnchorWorker(options: AnchorWorkerOptions) {
  const intervalMs = options.intervalMs ?? 2_000;
  const maxBackoffMs = options.maxBackoffMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;
  let failures = 0;
  let running: Promise<unknown> = Promise.resolve();

  const maxBatchesPerPass = 16;
  const pass = async (): Promise<boolean> => {
    await drainRegistries(options.db, options);
    return (await anchorBacklog(options, maxBatchesPerPass)).batches === maxBatchesPerPass;
  };
  const tick = () => {
    if (stopped) return;
    if (options.lease && !options.lease.held) {
      // Standing by: look again soon, as the lease may have come to this replica.
      failures = 0;
      timer = setTimeout(tick, Math.min(intervalMs, 500));
      return;
    }
    running = pass()
      .then((full) => {
        failures = 0;
        return full ? 0 : intervalMs;
      })
      .catch((error: unknown) => {
        failures += 1;
        const delay = nextDelayMs(failures, intervalMs, maxBackoffMs);
        options.onError?.(error, delay);
        return delay;
      })
      .then((delay) => {
        if (!stopped) timer = setTimeout(tick, delay);
      });
  };
  return {
    start() {
      stopped = false;
      timer = setTimeout(tick, 0);
    },
    /** Failed passes in a row (0 when the last pass succeeded). */
    get failuresInARow() {
      return failures;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
