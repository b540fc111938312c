import type { IncomingMessage } from "node:http";
import type { Context } from "hono";
import { SluiceError } from "../../lib/errors.js";

/**
 * A request's body as one Buffer. On the Node.js server, a body of declared length is read
 * straight from the socket into a buffer of that size: a join's messages run to hundreds of
 * megabytes, which the web-stream path reads in small chunks and then copies whole. Elsewhere
 * (in-process tests), or without a Content-Length, it is the ordinary `arrayBuffer()`. The length
 * limit is the route's `bodyLimit`, which refuses a larger declared length before this runs.
 */
export async function rawBody(c: Context): Promise<Buffer> {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  const declared = Number(incoming?.headers["content-length"] ?? Number.NaN);
  if (!incoming || !Number.isSafeInteger(declared) || incoming.readableFlowing !== null)
    return Buffer.from(await c.req.arrayBuffer());
  const body = Buffer.allocUnsafe(declared);
  let filled = 0;
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
    if (filled + chunk.length > declared)
      throw new SluiceError("validation_failed", "the body is longer than its Content-Length");
    chunk.copy(body, filled);
    filled += chunk.length;
  }
  if (filled !== declared) throw new SluiceError("validation_failed", "the body is shorter than its Content-Length");
  return body;
}
