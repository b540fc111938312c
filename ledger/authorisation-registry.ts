import { ne } from "drizzle-orm";
import { Contract, type JsonRpcProvider, keccak256, toUtf8Bytes } from "ethers";
import { canonicalHash } from "../lib/canonical-json.js";
import { type AuthorisationEvent, authorisationEvents, type Db } from "../store/index.js";
import { loadArtifact } from "./artifacts.js";
import { fromBytes32Id, toBytes32Id } from "./client.js";
import { LedgerError } from "./errors.js";
import { anchorEvents, eventIdsAnchoredSince, verifyEvent } from "./event-anchoring.js";
import type { TransactionOverrides } from "./provider.js";
import { receiptOf } from "./receipt.js";
import { chainSigner, sending } from "./signer.js";

/** AuthorisationRegistry's SubjectKind, in the contract's order. */
export const SUBJECT_KINDS = ["dataset", "grant", "scenario", "approval", "auto_approval_rule"] as const;
export type SubjectKind = (typeof SUBJECT_KINDS)[number];

const ZERO = `0x${"0".repeat(64)}`;
const hash32 = (text: string) => keccak256(toUtf8Bytes(text));
/** Events that bring a subject into being; one without a content hash of its own registers its record's hash. */
const CREATING_ACTIONS = new Set(["registered", "granted", "proposed", "created", "owner-approved", "owner-rejected"]);

/** The canonical content of an authorisation event whose SHA-256 is anchored (the anchoring fields excluded). */
export function authorisationEventRecord(event: AuthorisationEvent) {
  return {
    id: event.id,
    subjectType: event.subjectType,
    subjectId: event.subjectId,
    actorId: event.actorId,
    action: event.action,
    reason: event.reason,
    details: event.details ?? null,
    at: event.at.toISOString(),
  };
}

/**
 * Where an event lands in the registry: an owner's approval or rejection is its own subject
 * (`scenarioId/ownerId`, holding the hash of the terms it approved); the rest are the subject they name.
 */
export function registryEntryOf(event: AuthorisationEvent) {
  const details = (event.details ?? {}) as { contentHash?: string; termsHash?: string; ownerId?: string };
  const recordHash = `0x${canonicalHash(authorisationEventRecord(event))}`;
  const isApproval = event.subjectType === "scenario" && event.action.startsWith("owner-");
  const kind: SubjectKind = isApproval ? "approval" : (event.subjectType as SubjectKind);
  const subject = isApproval ? `${event.subjectId}/${details.ownerId ?? event.actorId}` : event.subjectId;
  const state = isApproval ? event.action.slice("owner-".length) : event.action;
  const ownContent = details.contentHash ?? details.termsHash;
  const contentHash = ownContent ? `0x${ownContent}` : CREATING_ACTIONS.has(event.action) ? recordHash : ZERO;
  return { kind, subject, state, contentHash, recordHash };
}

/** Client of AuthorisationRegistry: anchors dataset registrations, grants, scenarios and approvals. */
export function createAuthorisationRegistryClient(options: {
  provider: JsonRpcProvider;
  privateKey: string;
  address: string;
  confirmations?: number;
  transactionOverrides?: TransactionOverrides;
}) {
  const signer = chainSigner(options.provider, options.privateKey);
  const registry = new Contract(options.address, loadArtifact("AuthorisationRegistry").abi, signer);
  return {
    address: options.address,
    async recordOf(eventId: string): Promise<string> {
      return String(await registry.getFunction("recordOf")(toBytes32Id(eventId)));
    },
    /** A subject's latest state on chain, as keccak256 hashes, or null when nothing was recorded for it. */
    async subjectOf(kind: SubjectKind, subject: string) {
      const s = await registry.getFunction("subjectOf")(SUBJECT_KINDS.indexOf(kind), hash32(subject));
      if (Number(s.eventCount) === 0) return null;
      return {
        state: String(s.state),
        contentHash: String(s.contentHash),
        lastEventId: fromBytes32Id(String(s.lastEventId)),
        updatedAt: Number(s.updatedAt),
        eventCount: Number(s.eventCount),
      };
    },
    async record(event: AuthorisationEvent): Promise<string> {
      const entry = registryEntryOf(event);
      const tx = await sending(signer, () =>
        registry.getFunction("recordEvent")(
          toBytes32Id(event.id),
          SUBJECT_KINDS.indexOf(entry.kind),
          hash32(entry.subject),
          hash32(entry.state),
          entry.contentHash,
          entry.recordHash,
          { ...options.transactionOverrides },
        ),
      );
      const receipt = await receiptOf(options.provider, tx.hash, options.confirmations ?? 1);
      if (!receipt || receipt.status !== 1)
        throw new LedgerError("anchor_failed", `anchoring authorisation event ${event.id} failed`);
      return receipt.hash as string;
    },
    async findTransaction(eventId: string): Promise<string | null> {
      const events = await registry.queryFilter(
        registry.filters.AuthorisationEventRecorded?.(toBytes32Id(eventId)) ?? "AuthorisationEventRecorded",
      );
      return events[0]?.transactionHash ?? null;
    },
    /** The ids of the events recorded in blocks stamped at or after `since`, read `windowBlocks` blocks at a time. */
    eventIdsAnchoredSince(since: Date, windowBlocks?: number): Promise<string[]> {
      return eventIdsAnchoredSince(options.provider, registry, "AuthorisationEventRecorded", since, windowBlocks);
    },
  };
}

export type AuthorisationRegistryClient = ReturnType<typeof createAuthorisationRegistryClient>;

const recordHashOf = (event: AuthorisationEvent) => registryEntryOf(event).recordHash;

/** Anchors authorisation events (everything but participant events) not yet on chain, in the order written. */
export function anchorAuthorisationEvents(db: Db, registry: AuthorisationRegistryClient, limit = 100) {
  return anchorEvents(db, registry, ne(authorisationEvents.subjectType, "participant"), recordHashOf, limit);
}

/** Whether a stored authorisation event still matches what was anchored for it. */
export function verifyAuthorisationEvent(registry: AuthorisationRegistryClient, event: AuthorisationEvent) {
  return verifyEvent(registry, event, recordHashOf);
}
