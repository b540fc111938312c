import { and, eq } from "drizzle-orm";
import { ConflictError, ForbiddenError, NotFoundError } from "../../lib/errors.js";
import { type DbOrTx, type Participant, participantKeys, participants } from "../../store/index.js";

export type NewParticipant = typeof participants.$inferInsert;

/** Admits a participant with its first key; call it inside a transaction. */
export async function insertParticipant(tx: DbOrTx, values: NewParticipant): Promise<Participant> {
  const [clash] = await tx
    .select({ id: participantKeys.participantId })
    .from(participantKeys)
    .where(eq(participantKeys.publicKey, values.publicKey));
  if (clash) throw new ConflictError(`this public key is already admitted as ${clash.id}`);
  const [existing] = await tx.select({ id: participants.id }).from(participants).where(eq(participants.id, values.id));
  if (existing) throw new ConflictError(`participant ${values.id} already exists`);
  const [row] = await tx.insert(participants).values(values).returning();
  await tx.insert(participantKeys).values({ publicKey: values.publicKey, participantId: values.id });
  return row as Participant;
}

function mayManage(actor: Participant, participantId: string) {
  if (actor.role !== "authority" && actor.id !== participantId) {
    throw new ForbiddenError(`only the authority or ${participantId} itself may change ${participantId}'s keys`);
  }
}

/** Replaces a participant's key: the old key stops working at once. */
export async function rotateKey(tx: DbOrTx, actor: Participant, participantId: string, publicKey: string, at: Date) {
  mayManage(actor, participantId);
  const [participant] = await tx.select().from(participants).where(eq(participants.id, participantId)).for("update");
  if (!participant) throw new NotFoundError("participant", participantId);
  if (participant.status !== "active")
    throw new ConflictError(`participant ${participantId} is revoked; admit it again instead`);
  const [clash] = await tx.select().from(participantKeys).where(eq(participantKeys.publicKey, publicKey));
  if (clash) throw new ConflictError("this public key has been used before; keys are never reused");
  await tx
    .update(participantKeys)
    .set({ status: "rotated", retiredAt: at })
    .where(and(eq(participantKeys.participantId, participantId), eq(participantKeys.status, "active")));
  await tx.insert(participantKeys).values({ publicKey, participantId, createdAt: at });
  const [row] = await tx.update(participants).set({ publicKey }).where(eq(participants.id, participantId)).returning();
  return row as Participant;
}

/** Revokes a participant: every request it signs is refused from this moment. */
export async function revokeParticipant(tx: DbOrTx, actor: Participant, participantId: string, at: Date) {
  mayManage(actor, participantId);
  const [participant] = await tx.select().from(participants).where(eq(participants.id, participantId)).for("update");
  if (!participant) throw new NotFoundError("participant", participantId);
  if (participant.role === "authority")
    throw new ForbiddenError("the authority's own admission cannot be revoked through the API");
  await tx
    .update(participantKeys)
    .set({ status: "revoked", retiredAt: at })
    .where(and(eq(participantKeys.participantId, participantId), eq(participantKeys.status, "active")));
  const [row] = await tx
    .update(participants)
    .set({ status: "revoked" })
    .where(eq(participants.id, participantId))
    .returning();
  return row as Participant;
}
