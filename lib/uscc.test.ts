import { describe, expect, it } from "vitest";
import { makeUscc, normaliseUscc, usccCheckCharacter } from "./uscc.js";

// Published codes from the national enterprise credit information system (GB 32100-2015 format).
const PUBLISHED = [
  "914403001922038216", // Huawei Technologies Co., Ltd.
  "9144030071526726XG", // Shenzhen Tencent Computer Systems Co., Ltd.
  "91440300708461136T", // Ping An Insurance (Group) Company of China, Ltd.
  "91110000802100433B", // China Petroleum & Chemical Corporation
];

describe("unified social credit code", () => {
  it.each(PUBLISHED)("accepts the published code %s", (code) => {
    expect(normaliseUscc(code)).toBe(code);
  });

  it("upper-cases and trims before checking", () => {
    expect(normaliseUscc(" 9144030071526726xg ")).toBe("9144030071526726XG");
  });

  it("rejects a wrong check character, wrong length and forbidden letters", () => {
    expect(normaliseUscc("914403001922038217")).toBeNull();
    expect(normaliseUscc("91440300192203821")).toBeNull();
    expect(normaliseUscc("9144030019220382I6")).toBeNull();
    expect(normaliseUscc("91440300192203821O")).toBeNull();
    expect(normaliseUscc("9144030071526726XGX")).toBeNull();
    // A full-width digit, and a character outside ASCII that upper-cases to nothing in the alphabet.
    expect(normaliseUscc("９144030071526726XG")).toBeNull();
    expect(normaliseUscc("9144030071526726Xǵ")).toBeNull();
  });

  it("builds codes whose check character verifies", () => {
    const code = makeUscc("91", "330106", "MA2H0C1X7");
    expect(normaliseUscc(code)).toBe(code);
    expect(() => usccCheckCharacter("91330106MA2H0C1X")).toThrow(RangeError);
  });
});
