import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { ComputeError } from "../errors.js";
import type { PinnedPeer } from "./peers.js";

export interface PeerPost {
  /** How to POST; without one, Node.js's own HTTP client, which sends a Buffer body without copying it. */
  fetch?: typeof fetch;
  to: PinnedPeer;
  path: string;
  /** The body, or its parts in order (sent one after the other, never copied together but for `fetch`). */
  body: string | Buffer | Buffer[];
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
  let response: { ok: boolean; status: number; text: () => Promise<string> } | undefined;
  for (let attempt = 1; !response; attempt++) {
    const signal = AbortSignal.timeout(post.timeoutMs);
    try {
      const url = `${to.url}${post.path}`;
      const { body } = post;
      // Only a fetch of the caller's takes the body whole; Node's own client sends the parts as they lie.
      response = post.fetch
        ? await post.fetch(url, {
            method: "POST",
            headers: { "content-type": post.contentType },
            body: Array.isArray(body) ? Buffer.concat(body) : body,
            signal,
          })
        : await nodePost(url, post.contentType, body, signal);
    } catch (cause) {
      const timedOut = signal.aborted || (cause instanceof Error && cause.name === "TimeoutError");
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

/** One POST by Node.js's HTTP client (kept-alive connections, as fetch's), its answer read as text. */
function nodePost(url: string, contentType: string, body: string | Buffer | Buffer[], signal: AbortSignal) {
  const parts = Array.isArray(body) ? body : [body];
  const target = new URL(url);
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise<{ ok: boolean; status: number; text: () => Promise<string> }>((resolve, reject) => {
    const req = send(
      target,
      {
        method: "POST",
        headers: {
          "content-type": contentType,
          "content-length": parts.reduce((sum, part) => sum + Buffer.byteLength(part), 0),
        },
        signal,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ ok: status >= 200 && status < 300, status, text: async () => text });
        });
      },
    );
    req.on("error", reject);
    for (const part of parts) req.write(part);
    req.end();
  });
}
