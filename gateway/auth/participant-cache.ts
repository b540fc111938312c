import { eq } from "drizzle-orm";
import { type Db, type Participant, participants } from "../../store/index.js";

export const PARTICIPANT_CHANGED_CHANNEL = "sluice_participant_changed";

/** How many ids, known or not, the cache holds at most. */
const MAX_ENTRIES = 100_000;

/**
 * Admitted participants by id, read once and then served from memory: the signature check of every
 * request needs the caller's key, and a database round trip per request would cap the gateway at
 * the database's latency. A change is forgotten at once: by `forget` after a write in this process,
 * and by the database's notification on commit for a write from anywhere else (migration 0001).
 * A read that raced a change is never cached (each id has a generation, bumped by `forget`).
 */
export class ParticipantCache {
  /** Absent ids too (a flood of made-up key ids costs one query each per TTL, not one per request). */
  private readonly entries = new Map<string, { participant: Participant | undefined; until: number }>();
  private readonly generations = new Map<string, number>();

  /**
   * @param ttlMs a safety net only: how long an entry may live should a notification be lost (say,
   * while the listening connection reconnects); changes are normally forgotten at once.
   */
  constructor(
    private readonly db: Db,
    private readonly ttlMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(id: string): Promise<Participant | undefined> {
    const cached = this.entries.get(id);
    if (cached && cached.until > this.now()) return cached.participant;
    const generation = this.generationOf(id);
    const [row] = await this.db.select().from(participants).where(eq(participants.id, id));
    if (generation === this.generationOf(id)) {
      // Bounded: the oldest entry makes room (Map keeps insertion order).
      if (this.entries.size >= MAX_ENTRIES && !this.entries.has(id)) {
        this.entries.delete(this.entries.keys().next().value as string);
      }
      this.entries.set(id, { participant: row, until: this.now() + this.ttlMs });
    }
    return row;
  }

  forget(id: string): void {
    this.entries.delete(id);
    this.generations.set(id, this.generationOf(id) + 1);
  }

  get size(): number {
    return this.entries.size;
  }

  private generationOf(id: string): number {
    return this.generations.get(id) ?? 0;
  }
}
