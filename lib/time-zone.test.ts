import { describe, expect, it } from "vitest";
import { instantOfLocal, isTimeZone, zonedDateTime, zonedLocalInput, zoneOffset } from "./time-zone.js";

describe("times in a zone", () => {
  const at = new Date("2026-12-04T01:30:05.250Z");

  it("shows an instant as the zone's wall clock, with its offset", () => {
    expect(zonedDateTime(at, "Asia/Shanghai")).toBe("2026-12-04 09:30:05");
    expect(zonedDateTime(at, "UTC")).toBe("2026-12-04 01:30:05");
    expect(zonedLocalInput(at, "America/New_York")).toBe("2026-12-03T20:30:05");
    expect(zoneOffset(at, "Asia/Shanghai")).toBe("+08:00");
    expect(zoneOffset(at, "America/New_York")).toBe("-05:00");
    expect(zoneOffset(at, "Asia/Kolkata")).toBe("+05:30");
  });

  it("reads a wall-clock time back as the instant it names, across a daylight-saving change", () => {
    expect(instantOfLocal("2026-12-04T09:30", "Asia/Shanghai")?.toISOString()).toBe("2026-12-04T01:30:00.000Z");
    expect(instantOfLocal("2026-12-04T09:30:05", "Asia/Shanghai")?.toISOString()).toBe("2026-12-04T01:30:05.000Z");
    // New York: EDT (−4) in July, EST (−5) in December.
    expect(instantOfLocal("2026-07-01T12:00", "America/New_York")?.toISOString()).toBe("2026-07-01T16:00:00.000Z");
    expect(instantOfLocal("2026-12-01T12:00", "America/New_York")?.toISOString()).toBe("2026-12-01T17:00:00.000Z");
    for (const local of ["2026-07-01T12:00", "2026-03-08T01:59", "2026-11-01T03:00"]) {
      const instant = instantOfLocal(local, "America/New_York") as Date;
      expect(zonedLocalInput(instant, "America/New_York").slice(0, 16)).toBe(local);
    }
  });

  it("refuses what is not a wall-clock time, and knows a zone from a typo", () => {
    for (const bad of ["", "2026-12-04", "2026-12-04 09:30", "2026-02-30T10:00", "2026-12-04T09:30Z", "tomorrow"]) {
      expect(instantOfLocal(bad, "Asia/Shanghai"), bad).toBeNull();
    }
    expect(isTimeZone("Asia/Shanghai")).toBe(true);
    expect(isTimeZone("Asia/Shangai")).toBe(false);
  });
});
