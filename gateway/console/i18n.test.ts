import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
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

  it("uses every message it has (words looked up by prefix aside)", () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const sources = readdirSync(here, { recursive: true, encoding: "utf8" })
      .filter((file) => /\.tsx?$/.test(file) && !file.endsWith(".test.ts") && file !== "i18n.ts")
      .map((file) => readFileSync(path.join(here, file), "utf8"))
      .join("\n");
    const byPrefix = /^(status|tier|role|done)\./;
    const unused = Object.keys(MESSAGES.zh).filter((key) => !byPrefix.test(key) && !sources.includes(`"${key}"`));
    expect(unused).toEqual([]);
  });
});
