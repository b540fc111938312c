import { describe, expect, it } from "vitest";
import { ERROR_CODES, isErrorCode } from "./error-codes.js";
import { statusOfCode } from "./problem.js";

describe("the closed set of error codes", () => {
  it("gives every code an HTTP error status", () => {
    for (const [code, status] of Object.entries(ERROR_CODES)) {
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
      expect(statusOfCode(code as keyof typeof ERROR_CODES)).toBe(status);
    }
  });

  it("answers the platform's own faults with 5xx, never as the caller's error", () => {
    for (const code of ["internal", "chain_unavailable", "chain_rejected", "anchor_failed", "statement_inconsistent"]) {
      expect(ERROR_CODES[code as keyof typeof ERROR_CODES]).toBeGreaterThanOrEqual(500);
    }
  });

  it("knows its own codes and nothing else", () => {
    expect(isErrorCode("not_found")).toBe(true);
    expect(isErrorCode("toString")).toBe(false);
    expect(isErrorCode("made_up")).toBe(false);
  });
});
