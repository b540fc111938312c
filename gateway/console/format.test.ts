import { describe, expect, it } from "vitest";
import { epsilon, instant, percent, short, yuan } from "./format.js";

describe("the console's figures", () => {
  it("writes fen as yuan, micro-ε as ε, basis points as percent", () => {
    expect(yuan(0)).toBe("¥0.00");
    expect(yuan(5)).toBe("¥0.05");
    expect(yuan(123_456_789)).toBe("¥1,234,567.89");
    expect(yuan(-250)).toBe("-¥2.50");
    expect(epsilon(500_000)).toBe("0.5");
    expect(epsilon(10_000_000)).toBe("10");
    expect(percent(1250)).toBe("12.5%");
  });

  it("writes instants on the viewer's wall clock to the second and shortens long ids", () => {
    expect(instant("2026-11-29T13:32:14.475Z", "Asia/Shanghai")).toBe("2026-11-29 21:32:14");
    expect(instant("2026-11-29T13:32:14.475Z", "UTC")).toBe("2026-11-29 13:32:14");
    expect(instant(null, "Asia/Shanghai")).toBe("");
    expect(short("batch_ec463d589649b8f2e7cae845")).toBe("batch_ec46…cae845");
    expect(short("batch_1")).toBe("batch_1");
  });
});
