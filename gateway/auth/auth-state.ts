import type { Logger } from "../../lib/logger.js";
import type { Database, Db } from "../../store/index.js";
import { LocalNonceStore } from "./local-nonce-store.js";
import { PARTICIPANT_CHANGED_CHANNEL, ParticipantCache } from "./participant-cache.js";
import { SharedNonceStore } from "./shared-nonce-store.js";

/** What request authentication keeps between requests: the participants' keys and the nonces seen. */
export interface AuthState {
  participants: ParticipantCache;
  nonces: LocalNonceStore | SharedNonceStore;
  /** Loads the remembered nonces and subscribes to participant changes; every request awaits it. */
  ready(): Promise<void>;
  /** Writes pending nonces and stops listening. */
  stop(): Promise<void>;
}

export function createAuthState(options: {
  db: Db;
  listen?: Database["listen"];
  logger?: Logger;
  now?: () => number;
  /**
   * Whether other gateway replicas may share the database (PostgreSQL): nonces are then claimed in
   * it, one row each, so a replay to another replica is refused at once. Only a gateway alone on
   * its database (the embedded PGlite) may decide them in memory, which is faster. Default: shared.
   */
  sharedNonces?: boolean;
}): AuthState {
  const participants = new ParticipantCache(options.db, 5_000, options.now);
  const nonceOptions = { logger: options.logger, now: options.now };
  const nonces =
    options.sharedNonces === false
      ? new LocalNonceStore(options.db, nonceOptions)
      : new SharedNonceStore(options.db, nonceOptions);
  let unlisten: (() => Promise<void>) | undefined;
  let started: Promise<void> | undefined;
  return {
    participants,
    nonces,
    ready() {
      started ??= (async () => {
        if (options.listen) {
          unlisten = await options.listen(PARTICIPANT_CHANGED_CHANNEL, (id) => participants.forget(id));
        }
        await nonces.start();
      })();
      return started;
    },
    async stop() {
      await started?.catch(() => {});
      await unlisten?.();
      await nonces.stop();
    },
  };
}
