import { describe, expect, it } from "vitest";
import { DEFAULT_LANGUAGE, isLanguage, MESSAGES, word } from "./i18n.js";

describe("the console's languages", () => {
  it("defaults to Chinese and knows only its languages", () => {
    expect(DEFAULT_LANGUAGE).toBe("zh");
    expect(isLanguage("en")).toBe(true);
    expect(isLanguage("fr")).toBe(false);
    expect(isLanguage(undefined)).toBe(false);
  });

  it("has every message in both languages, none empty", () => {
    expect(Object.keys(MESSAGES.en).sort()).toEqual(Object.keys(MESSAGES.zh).sort());
    for (const lang of ["zh", "en"] as const) {
      for (const [key, text] of Object.entries(MESSAGES[lang])) expect(text.trim(), `${lang} ${key}`).not.toBe("");
    }
  });

  it("words statuses in the page's language, and shows an unknown one as it is", () => {
    expect(word("zh", "status", "needs_reapproval")).toBe("需重新审批");
    expect(word("en", "status", "awaiting_review")).toBe("awaiting result review");
    expect(word("en", "status", "something_new")).toBe("something_new");
  });
});
