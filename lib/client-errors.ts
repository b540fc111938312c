import type { Socket } from "node:net";
import type { ServerType } from "@hono/node-server";
import { problemTypeOf, titleOf } from "./problem.js";

/**
 * Answers what Node's HTTP parser refuses before any route sees it with problem+json instead of a
 * bare status line: headers over the server's limit (16 KiB) with 431 `headers-too-large`, anything
 * else that does not parse as HTTP/1.1 with 400 `validation-failed`; then closes the connection.
 */
export function answerClientErrors(server: ServerType): void {
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) return void socket.destroy();
    const tooLarge = error.code === "HPE_HEADER_OVERFLOW";
    const status = tooLarge ? 431 : 400;
    const body = JSON.stringify({
      type: problemTypeOf(tooLarge ? "headers_too_large" : "validation_failed"),
      title: titleOf(status),
      status,
      detail: tooLarge
        ? "the request's headers are larger than the gateway accepts (16 KiB in all)"
        : "the request is not valid HTTP/1.1",
    });
    socket.end(
      `HTTP/1.1 ${status} ${titleOf(status)}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
}
