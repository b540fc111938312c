import { ComputeError } from "../errors.js";
import type { PinnedPeer } from "./peers.js";

export interface PeerPost {
  fetch: typeof fetch;
  to: PinnedPeer;
  path: string;
  body: string | Buffer;
  contentType: string;
  timeoutMs: number;
  /** What is sent, for the refusal's message ("share", "mask-seed"…). */
  what: string;
}

/**
 * POSTs one protocol message to a pinned peer at its pinned address. A peer busy computing may
 * close an idle kept-alive connection just as it is reused: messages between nodes are delivered
 * idempotently (the same one twice is taken once), so a failed connection is tried again, twice at
 * most; a timeout is not. Throws node_unavailable or node_rejected naming the peer.
 */
export async function postToPeer(post: PeerPost): Promise<void> {
  const { to } = post;
  let response: Response | undefined;
  for (let attempt = 1; !response; attempt++) {
    try {
      response = await post.fetch(`${to.url}${post.path}`, {
        method: "POST",
        headers: { "content-type": post.contentType },
        body: post.body,
        signal: AbortSignal.timeout(post.timeoutMs),
      });
    } catch (cause) {
      const timedOut = cause instanceof Error && cause.name === "TimeoutError";
      if (attempt < 3 && !timedOut) {
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
        continue;
      }
      throw new ComputeError("node_unavailable", `peer ${to.nodeId} could not be reached`, {
        cause,
        nodeId: to.nodeId,
      });
    }
  }
  if (!response.ok) {
    const detail = await response.text().catch(() => "");
    throw new ComputeError(
      "node_rejected",
      `peer ${to.nodeId} refused our ${post.what} (${response.status}): ${detail.slice(0, 300)}`,
      { nodeId: to.nodeId },
    );
  }
}
