import { and, asc, gt, gte, inArray, lt } from "drizzle-orm";
import { authorisationEvents, type Db } from "../store/index.js";
import type { AuditFinding } from "./audit.js";
import { type AuthorisationRegistryClient, verifyAuthorisationEvent } from "./authorisation-registry.js";
import { type ParticipantRegistryClient, verifyParticipantEvent } from "./participant-registry.js";

const PAGE = 1_000;

/**
 * The period's authorisation events (admissions, key rotations, revocations, dataset registrations,
 * grants, scenarios, owners' approvals) against what their registries anchored: an event changed in
 * the database after anchoring is named, and so is one the registries anchored that the database no
 * longer has. Events not anchored yet are counted, not reported.
 */
export async function auditAuthorisationEvents(
  deps: {
    db: Db;
    participantRegistry?: ParticipantRegistryClient;
    authorisationRegistry?: AuthorisationRegistryClient;
  },
  period: { start: Date; end: Date },
  findings: AuditFinding[],
): Promise<number> {
  const { participantRegistry, authorisationRegistry } = deps;
  if (!participantRegistry && !authorisationRegistry) return 0;
  let checked = 0;
  let after = 0;
  for (;;) {
    const page = await deps.db
      .select()
      .from(authorisationEvents)
      .where(
        and(
          gte(authorisationEvents.at, period.start),
          lt(authorisationEvents.at, period.end),
          gt(authorisationEvents.seq, after),
        ),
      )
      .orderBy(asc(authorisationEvents.seq))
      .limit(PAGE);
    for (const event of page) {
      const verdict =
        event.subjectType === "participant"
          ? participantRegistry && (await verifyParticipantEvent(participantRegistry, event))
          : authorisationRegistry && (await verifyAuthorisationEvent(authorisationRegistry, event));
      if (!verdict?.anchored) continue;
      checked += 1;
      if (!verdict.verified) {
        findings.push({
          kind: "authorisation_event_altered",
          eventId: event.id,
          detail: `${event.subjectType} ${event.subjectId} (${event.action}) no longer matches the record anchored for it`,
        });
      }
    }
    if (page.length < PAGE) break;
    after = (page[page.length - 1] as (typeof page)[number]).seq;
  }
  for (const [name, registry] of [
    ["ParticipantRegistry", participantRegistry],
    ["AuthorisationRegistry", authorisationRegistry],
  ] as const) {
    if (registry) await findDeletedEvents(deps.db, name, await registry.eventIdsAnchoredSince(period.start), findings);
  }
  return checked;
}

/**
 * Events a registry anchored that the database no longer holds. The chain keeps only an event's id
 * and hashes, not its time, so every event anchored since the period began is looked for: one deleted
 * is named by each audit whose period starts before it was anchored.
 */
async function findDeletedEvents(db: Db, registryName: string, anchoredIds: string[], findings: AuditFinding[]) {
  for (let from = 0; from < anchoredIds.length; from += PAGE) {
    const ids = anchoredIds.slice(from, from + PAGE);
    const stored = await db
      .select({ id: authorisationEvents.id })
      .from(authorisationEvents)
      .where(inArray(authorisationEvents.id, ids));
    const present = new Set(stored.map((row) => row.id));
    for (const eventId of ids) {
      if (present.has(eventId)) continue;
      findings.push({
        kind: "authorisation_event_deleted",
        eventId,
        detail: `${registryName} holds this event's record, but the database no longer has the event`,
      });
    }
  }
}
