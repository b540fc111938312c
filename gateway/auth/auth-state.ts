import type { Logger } from "../../lib/logger.js";
import type { Database, Db } from "../../store/index.js";
import { NonceStore } from "./nonce-store.js";
import { PARTICIPANT_CHANGED_CHANNEL, ParticipantCache } from "./participant-cache.js";

/** What request authentication keeps between requests: the participants' keys and the nonces seen. */
export interface AuthState {
  participants: ParticipantCache;
  nonces: NonceStore;
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
}): AuthState {
  const participants = new ParticipantCache(options.db, 5_000, options.now);
  const nonces = new NonceStore(options.db, { logger: options.logger, now: options.now });
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
