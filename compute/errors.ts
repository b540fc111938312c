import type { ErrorCode } from "../lib/error-codes.js";
import { SluiceError } from "../lib/errors.js";

/** A compute job could not finish; no result is released. */
export class ComputeError extends SluiceError {
  readonly nodeId: string | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; nodeId?: string }) {
    super(code, message, options);
    this.nodeId = options?.nodeId;
  }
}
