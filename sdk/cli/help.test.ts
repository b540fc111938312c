import { describe, expect, it } from "vitest";
import { HELP, summaryOf, usage } from "./help.js";

describe("the CLI's help", () => {
  it("gives every command a whole first sentence in the list", () => {
    for (const [name, text] of Object.entries(HELP)) {
      const summary = summaryOf(text);
      expect(summary, name).toMatch(/[.!?]$/);
      expect(summary, name).not.toMatch(/\be\.g\.$/);
      expect(usage(), name).toContain(`  ${name.padEnd(15)} ${summary}`);
    }
  });

  it("takes a description over several lines as one sentence, and stops before the options", () => {
    expect(summaryOf("x\n  (operator) Score here; the scores come\n  back encrypted. More.\n    --a  b")).toBe(
      "(operator) Score here; the scores come back encrypted.",
    );
    expect(summaryOf("x\n  Does a thing\n    --flag  what")).toBe("Does a thing");
  });

  it("documents the exit codes beside every command's own help", () => {
    for (const name of Object.keys(HELP)) expect(usage(name), name).toMatch(/Exit codes: 0 done, 1 refused/);
  });
});
