import { and, asc, eq, isNull } from "drizzle-orm";
import { Contract, type JsonRpcProvider, keccak256, NonceManager, toUtf8Bytes, Wallet } from "ethers";
import { canonicalHash } from "../lib/canonical-json.js";
import { type AuthorisationEvent, authorisationEvents, type Db } from "../store/index.js";
import { loadArtifact } from "./artifacts.js";
import { toBytes32Id } from "./client.js";
import { LedgerError } from "./errors.js";

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
}) {
  const signer = new NonceManager(new Wallet(options.privateKey, options.provider));
  const registry = new Contract(options.address, loadArtifact("ParticipantRegistry").abi, signer);
  return {
    address: options.address,
    async recordOf(eventId: string): Promise<string> {
      return String(await registry.getFunction("recordOf")(toBytes32Id(eventId)));
    },
    async record(event: AuthorisationEvent): Promise<string> {
      const publicKey = String((event.details as { publicKey?: string } | null)?.publicKey ?? "");
      const tx = await registry.getFunction("recordEvent")(
        toBytes32Id(event.id),
        hash32(event.subjectId),
        hash32(event.action),
        publicKey ? hash32(publicKey) : `0x${"0".repeat(64)}`,
        `0x${canonicalHash(participantEventRecord(event))}`,
      );
      const receipt = await tx.wait();
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
  };
}

export type ParticipantRegistryClient = ReturnType<typeof createParticipantRegistryClient>;

/**
 * Anchors participant events not yet on chain, oldest first. Idempotent: an event whose record is
 * already on chain (a crash after sending) is only marked; one on chain with another hash is an error.
 */
export async function anchorParticipantEvents(
  db: Db,
  registry: ParticipantRegistryClient,
  limit = 100,
): Promise<number> {
  const pending = await db
    .select()
    .from(authorisationEvents)
    .where(and(eq(authorisationEvents.subjectType, "participant"), isNull(authorisationEvents.anchorTxHash)))
    .orderBy(asc(authorisationEvents.at))
    .limit(limit);
  for (const event of pending) {
    const expected = `0x${canonicalHash(participantEventRecord(event))}`;
    const onChain = await registry.recordOf(event.id);
    let txHash: string | null;
    if (onChain === `0x${"0".repeat(64)}`) txHash = await registry.record(event);
    else if (onChain === expected) txHash = await registry.findTransaction(event.id);
    else throw new LedgerError("anchor_conflict", `participant event ${event.id} is on chain with another record hash`);
    await db
      .update(authorisationEvents)
      .set({ anchorTxHash: txHash ?? "unknown" })
      .where(eq(authorisationEvents.id, event.id));
  }
  return pending.length;
}

/** Whether a stored participant event still matches what was anchored for it. */
export async function verifyParticipantEvent(registry: ParticipantRegistryClient, event: AuthorisationEvent) {
  const expected = `0x${canonicalHash(participantEventRecord(event))}`;
  const onChain = event.anchorTxHash ? await registry.recordOf(event.id) : null;
  return { anchored: event.anchorTxHash !== null, recordHash: expected, onChain, verified: onChain === expected };
}
