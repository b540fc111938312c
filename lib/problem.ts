import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ERROR_CODES, type ErrorCode } from "./error-codes.js";
import { SluiceError, ValidationError } from "./errors.js";

/** RFC 9457 problem details. `type` is a URI naming the kind of problem. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  requestId?: string;
  errors?: readonly { path: string; message: string }[];
  [extension: string]: unknown;
}

export const PROBLEM_BASE = "https://sluice.dev/problems/";

const TITLES: Record<number, string> = {
  400: "Bad request",
  401: "Unauthenticated",
  403: "Forbidden",
  404: "Not found",
  405: "Method not allowed",
  409: "Conflict",
  413: "Payload too large",
  415: "Unsupported media type",
  422: "Unprocessable content",
  429: "Too many requests",
  431: "Request header fields too large",
  500: "Internal server error",
  502: "Bad gateway",
  503: "Service unavailable",
  504: "Gateway timeout",
};

/** The HTTP status a problem code is answered with. */
export function statusOfCode(code: ErrorCode): ContentfulStatusCode {
  return ERROR_CODES[code];
}

export function statusOf(error: SluiceError): ContentfulStatusCode {
  return statusOfCode(error.code);
}

export function titleOf(status: number): string {
  return TITLES[status] ?? "Error";
}

export function problemTypeOf(code: string): string {
  return `${PROBLEM_BASE}${code.replaceAll("_", "-")}`;
}

/** Answers with `application/problem+json`. */
export function problem(
  c: Context,
  status: ContentfulStatusCode,
  code: ErrorCode,
  detail: string,
  extra: Record<string, unknown> = {},
) {
  const body: ProblemDetails = {
    type: problemTypeOf(code),
    title: titleOf(status),
    status,
    detail,
    instance: c.req.path,
    ...extra,
  };
  return c.body(JSON.stringify(body), status, { "content-type": "application/problem+json" });
}

/** Maps a thrown error to a problem response; unknown errors become a 500 with no internals. */
export function problemFromError(c: Context, error: unknown, requestId?: string) {
  const extra: Record<string, unknown> = requestId ? { requestId } : {};
  if (error instanceof ValidationError) {
    return problem(c, 400, error.code, error.message, { ...extra, errors: error.issues });
  }
  if (error instanceof SluiceError) {
    const details = error.details ? { details: error.details } : {};
    const retryAfter = error.details?.retryAfterSeconds;
    if (typeof retryAfter === "number") c.header("retry-after", String(retryAfter));
    return problem(c, statusOf(error), error.code, error.message, { ...extra, ...details });
  }
  return problem(c, 500, "internal", "an unexpected error occurred; the request id identifies it in the log", extra);
}
