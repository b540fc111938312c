import { and, asc, gt, gte, lt } from "drizzle-orm";
import { authorisationEvents, type Db } from "../store/index.js";
import type { AuditFinding } from "./audit.js";
import { type AuthorisationRegistryClient, verifyAuthorisationEvent } from "./authorisation-registry.js";
import { type ParticipantRegistryClient, verifyParticipantEvent } from "./participant-registry.js";

const PAGE = 1_000;

/**
 * The period's authorisation events (admissions, key rotations, revocations, dataset registrations,
 * grants, scenarios, owners' approvals) against what their registries anchored: an event changed in
 * the database after anchoring is named. Events not anchored yet are counted, not reported.
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
    if (page.length < PAGE) return checked;
    after = (page[page.length - 1] as (typeof page)[number]).seq;
  }
}
