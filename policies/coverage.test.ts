import { describe, expect, it } from "vitest";
import { scenarioStatusAt } from "./coverage.js";

const window = { validFrom: "2026-01-01T00:00:00.000Z", validUntil: "2027-01-01T00:00:00.000Z" };

describe("a scenario's status at a moment", () => {
  it.each([
    ["approved", "2025-12-31T00:00:00.000Z", "approved"],
    ["approved", "2026-06-01T00:00:00.000Z", "active"],
    ["active", "2026-06-01T00:00:00.000Z", "active"],
    ["active", "2027-01-01T00:00:00.000Z", "expired"],
    ["approved", "2027-06-01T00:00:00.000Z", "expired"],
    ["suspended", "2026-06-01T00:00:00.000Z", "suspended"],
    ["suspended", "2027-06-01T00:00:00.000Z", "suspended"],
    ["revoked", "2026-06-01T00:00:00.000Z", "revoked"],
    ["proposed", "2026-06-01T00:00:00.000Z", "proposed"],
    ["needs_reapproval", "2026-06-01T00:00:00.000Z", "needs_reapproval"],
  ] as const)("%s at %s is %s", (status, at, expected) => {
    expect(scenarioStatusAt({ status, ...window }, at)).toBe(expected);
  });
});
