import { eq } from "drizzle-orm";
import { Contract, type JsonRpcProvider, keccak256, toUtf8Bytes } from "ethers";
import { canonicalHash } from "../lib/canonical-json.js";
import { type AuthorisationEvent, authorisationEvents, type Db } from "../store/index.js";
import { loadArtifact } from "./artifacts.js";
import { toBytes32Id } from "./client.js";
import { LedgerError } from "./errors.js";
import { anchorEvents, eventIdsAnchoredSince, verifyEvent } from "./event-anchoring.js";
import type { TransactionOverrides } from "./provider.js";
import { receiptOf } from "./receipt.js";
import { chainSigner, sending } from "./signer.js";

const hash32 = (text: string) => keccak256(toUtf8Bytes(text));

/** The canonical content of a participant event whose SHA-256 is anchored (the anchoring fields excluded). */
export function participantEventRecord(event: AuthorisationEvent) {
  return {
    id: event.id,
    participantId: event.subjectId,
    actorId: event.actorId,
    action: event.action,
    reason: event.reason,
    details: event.details ?? null,
    at: event.at.toISOString(),
  };
}

/** Client of ParticipantRegistry: anchors admissions, key rotations and revocations. */
export function createParticipantRegistryClient(options: {
  provider: JsonRpcProvider;
  privateKey: string;
  address: string;
  confirmations?: number;
  transactionOverrides?: TransactionOverrides;
}) {
  const signer = chainSigner(options.provider, options.privateKey);
  const registry = new Contract(options.address, loadArtifact("ParticipantRegistry").abi, signer);
  return {
    address: options.address,
    async recordOf(eventId: string): Promise<string> {
      return String(await registry.getFunction("recordOf")(toBytes32Id(eventId)));
    },
    async record(event: AuthorisationEvent): Promise<string> {
      const publicKey = String((event.details as { publicKey?: string } | null)?.publicKey ?? "");
      const tx = await sending(signer, () =>
        registry.getFunction("recordEvent")(
          toBytes32Id(event.id),
          hash32(event.subjectId),
          hash32(event.action),
          publicKey ? hash32(publicKey) : `0x${"0".repeat(64)}`,
          `0x${canonicalHash(participantEventRecord(event))}`,
          { ...options.transactionOverrides },
        ),
      );
      const receipt = await receiptOf(options.provider, tx.hash, options.confirmations ?? 1);
      if (!receipt || receipt.status !== 1)
        throw new LedgerError("anchor_failed", `anchoring participant event ${event.id} failed`);
      return receipt.hash as string;
    },
    async findTransaction(eventId: string): Promise<string | null> {
      const events = await registry.queryFilter(
        registry.filters.ParticipantEventRecorded?.(toBytes32Id(eventId)) ?? "ParticipantEventRecorded",
      );
      return events[0]?.transactionHash ?? null;
    },
    /** The ids of the events recorded in blocks stamped at or after `since`, read `windowBlocks` blocks at a time. */
    eventIdsAnchoredSince(since: Date, windowBlocks?: number): Promise<string[]> {
      return eventIdsAnchoredSince(options.provider, registry, "ParticipantEventRecorded", since, windowBlocks);
    },
  };
}

export type ParticipantRegistryClient = ReturnType<typeof createParticipantRegistryClient>;

const recordHashOf = (event: AuthorisationEvent) => `0x${canonicalHash(participantEventRecord(event))}`;

/** Anchors participant events not yet on chain, in the order written (see anchorEvents). */
export function anchorParticipantEvents(db: Db, registry: ParticipantRegistryClient, limit = 100) {
  return anchorEvents(db, registry, eq(authorisationEvents.subjectType, "participant"), recordHashOf, limit);
}

/** Whether a stored participant event still matches what was anchored for it. */
export function verifyParticipantEvent(registry: ParticipantRegistryClient, event: AuthorisationEvent) {
  return verifyEvent(registry, event, recordHashOf);
}
