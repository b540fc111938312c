import { createPrivateKey } from "node:crypto";
import { z } from "zod";
import { publicKeyFromPrivatePem } from "../../lib/ed25519.js";
import { SluiceError } from "../../lib/errors.js";
import { deriveEncryptionKeys } from "../mpc/channel.js";

const key32 = (what: string) => z.string().regex(/^[A-Za-z0-9_-]{43}$/, `${what} is 32 bytes of base64url`);

/** A node this node works with, as its owner pinned it: id, keys and address. */
export const pinnedPeerSchema = z.strictObject({
  nodeId: z.string().min(1),
  /** Ed25519: what the peer signs with. */
  publicKey: key32("an Ed25519 public key"),
  /** X25519: what is sealed to the peer. */
  encryptionKey: key32("an X25519 public key"),
  /** Where the peer is reached; shares go here, whatever address a plan names. */
  url: z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/$/, "")),
});
export type PinnedPeer = z.infer<typeof pinnedPeerSchema>;

/** How a node's peers pin it, from its key (PEM) and the address it will listen at. */
export function pinOfNodeKey(nodeId: string, privateKeyPem: string, url: string): PinnedPeer {
  return {
    nodeId,
    publicKey: publicKeyFromPrivatePem(privateKeyPem),
    encryptionKey: deriveEncryptionKeys(createPrivateKey(privateKeyPem)).publicKey,
    url,
  };
}

/** A party as a plan names it. */
interface NamedParty {
  nodeId: string;
  publicKey: string;
  encryptionKey?: string;
}

/**
 * The peers this node's owner pinned: the only parties it exchanges shares with or seals anything
 * to. A plan is signed by the gateway, so a party it names is taken only when the owner pinned that
 * id with the very keys the plan gives; what is sent then goes to the pinned address, sealed to the
 * pinned key. A compromised gateway naming a party of its own (or a peer with its own key, to pose
 * as it) is refused before anything leaves.
 */
export function createPeerPins(peers: readonly PinnedPeer[]) {
  const byId = new Map(peers.map((p) => [p.nodeId, p]));
  return {
    /** The pinned peer a plan's party must be; throws naming what differs. */
    pinned(party: NamedParty, as: string): PinnedPeer {
      const peer = byId.get(party.nodeId);
      const refuse = (why: string) =>
        new SluiceError("plan_not_approved", `the plan's ${as} ${party.nodeId} ${why}; this node refuses it`);
      if (!peer) throw refuse("is not among the peers this node's owner pinned");
      if (peer.publicKey !== party.publicKey) throw refuse("has another signing key than the one pinned");
      if (party.encryptionKey !== undefined && peer.encryptionKey !== party.encryptionKey) {
        throw refuse("has another encryption key than the one pinned");
      }
      return peer;
    },
    list: () => [...byId.values()],
  };
}
export type PeerPins = ReturnType<typeof createPeerPins>;
