import { serveOperations } from "../../lib/worker-serve.js";
import { blindOwn, blindPeer } from "./blind.js";

// One PSI worker: exponentiates chunks for the pool, one at a time.
serveOperations({
  blindOwn: (identifiers: string[], key: Uint8Array) => blindOwn(identifiers, Buffer.from(key)),
  blindPeer: (points: Uint8Array, key: Uint8Array, firstIndex: number) =>
    blindPeer(Buffer.from(points), Buffer.from(key), firstIndex),
});
