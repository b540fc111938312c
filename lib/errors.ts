import type { ErrorCode } from "./error-codes.js";

/** Base class of every error Sluice raises on purpose; `code` is stable and machine-readable. */
export class SluiceError extends Error {
  readonly code: ErrorCode;
  /** Machine-readable facts a client may act on; safe to show to the caller. */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options?.details;
  }
}

/** Input that fails validation at a boundary (HTTP body, file, peer message). */
export class ValidationError extends SluiceError {
  readonly issues: readonly { path: string; message: string }[];

  constructor(
    message: string,
    issues: readonly { path: string; message: string }[] = [],
    options?: { cause?: unknown },
  ) {
    super("validation_failed", message, options);
    this.issues = issues;
  }
}

/** A named thing does not exist. */
export class NotFoundError extends SluiceError {
  constructor(what: string, id: string, options?: { cause?: unknown }) {
    super("not_found", `${what} ${id} does not exist`, options);
  }
}

/** The request is well-formed but conflicts with the current state. */
export class ConflictError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("conflict", message, options);
  }
}

/** Why a request was not accepted as coming from who it claims; each has its own problem type. */
export const AUTHENTICATION_FAILURES = [
  "signature_missing",
  "signature_malformed",
  "signature_expired",
  "digest_mismatch",
  "signature_invalid",
  "key_unknown",
  "key_revoked",
  "replayed",
] as const;
export type AuthenticationFailure = (typeof AUTHENTICATION_FAILURES)[number];

/** A signature or key did not verify. */
export class AuthenticationError extends SluiceError {
  // biome-ignore lint/complexity/noUselessConstructor: it narrows the code to an authentication failure
  constructor(failure: AuthenticationFailure, message: string, options?: { cause?: unknown }) {
    super(failure, message, options);
  }
}

/** The caller is known but may not do this. */
export class ForbiddenError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("forbidden", message, options);
  }
}
