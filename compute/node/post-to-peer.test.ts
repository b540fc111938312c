import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateEd25519KeyPair } from "../../lib/ed25519.js";
import { pinOfNodeKey } from "./peers.js";
import { postToPeer } from "./post-to-peer.js";
import { rawBody } from "./raw-body.js";

// Node.js's own HTTP client and the raw body reader, against a real server on loopback.

const received: Buffer[] = [];
const app = new Hono();
app.post("/in", async (c) => {
  received.push(await rawBody(c));
  return c.body(null, 204);
});
app.post("/refuse", (c) => c.text("no such job", 404));
let slowCalls = 0;
app.post("/slow", async (c) => {
  slowCalls++;
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  return c.body(null, 204);
});

let server: ReturnType<typeof serve>;
let url: string;
const key = generateEd25519KeyPair().privateKeyPem;

beforeAll(async () => {
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) => {
      url = `http://127.0.0.1:${info.port}`;
      resolve();
    });
  });
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const peer = (at = url) => pinOfNodeKey("node_b", key, at);
const post = (path: string, body: string | Buffer | Buffer[], timeoutMs = 5_000, to = peer()) =>
  postToPeer({ to, path, body, contentType: "application/octet-stream", timeoutMs, what: "opening" });

describe("a message to a pinned peer by Node.js's HTTP client", () => {
  it("sends its parts in order as one body, which the peer reads whole from the socket", async () => {
    const big = Buffer.alloc(3_000_000, 7);
    await post("/in", [Buffer.from("head:"), big, Buffer.from(":tail")]);
    await post("/in", "text body");
    expect(received[0]?.length).toBe(5 + big.length + 5);
    expect(received[0]?.subarray(0, 5).toString()).toBe("head:");
    expect(received[0]?.subarray(-5).toString()).toBe(":tail");
    expect(received[1]?.toString()).toBe("text body");
  });

  it("names the peer and its answer when refused", async () => {
    await expect(post("/refuse", "x")).rejects.toMatchObject({
      code: "node_rejected",
      message: expect.stringMatching(/peer node_b refused our opening \(404\): no such job/),
    });
  });

  it("gives up at its timeout, without trying again", async () => {
    await expect(post("/slow", "x", 300)).rejects.toMatchObject({ code: "node_unavailable" });
    expect(slowCalls).toBe(1);
  });

  it("tries a refused connection again twice, then names the peer it could not reach", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", () => resolve()));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(post("/in", "x", 5_000, peer(`http://127.0.0.1:${port}`))).rejects.toMatchObject({
      code: "node_unavailable",
      message: "peer node_b could not be reached",
    });
  });
});

describe("the raw body reader", () => {
  let raw: Server;
  let rawUrl: string;
  beforeAll(async () => {
    raw = createServer();
    await new Promise<void>((resolve) => raw.listen(0, "127.0.0.1", () => resolve()));
    rawUrl = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => raw.close(() => resolve())));

  it("reads a body without a declared length through the web stream, and in-process requests too", async () => {
    const chunked = await fetch(`${url}/in`, {
      method: "POST",
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("streamed "));
          controller.enqueue(new TextEncoder().encode("body"));
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(204);
    expect(received.at(-1)?.toString()).toBe("streamed body");
    const inProcess = await app.request("/in", { method: "POST", body: "in process" });
    expect(inProcess.status).toBe(204);
    expect(received.at(-1)?.toString()).toBe("in process");
  });

  it("refuses a body that ends before its declared length", async () => {
    raw.removeAllListeners("request");
    const outcome = new Promise<unknown>((resolve) => {
      raw.on("request", (incoming: IncomingMessage) => {
        const c = { env: { incoming }, req: { arrayBuffer: () => Promise.reject(new Error("not used")) } };
        rawBody(c as never).then(resolve, resolve);
      });
    });
    const { request } = await import("node:http");
    const req = request(`${rawUrl}/`, { method: "POST", headers: { "content-length": 100 } });
    req.on("error", () => {});
    req.write(Buffer.alloc(10));
    setTimeout(() => req.destroy(), 100);
    const error = await outcome;
    expect(error).toBeInstanceOf(Error);
  });
});
