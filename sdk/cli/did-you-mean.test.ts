import { describe, expect, it } from "vitest";
import { closestNames, didYouMean } from "./did-you-mean.js";

const commands = ["approve", "audit", "grant", "psi", "query", "scenario", "scenarios", "score", "sql", "verify"];

describe("did you mean", () => {
  it("suggests the nearest commands for a typo, a swap or a prefix, nearest first", () => {
    expect(closestNames("qeury", commands)).toEqual(["query"]);
    expect(closestNames("scenaro", commands)).toEqual(["scenario", "scenarios"]);
    expect(closestNames("aprove", commands)).toEqual(["approve"]);
    expect(closestNames("veri", commands)).toEqual(["verify"]);
    expect(didYouMean("scor", commands)).toBe("; did you mean score?");
    expect(didYouMean("scenaro", commands)).toBe("; did you mean scenario or scenarios?");
  });

  it("suggests nothing for a word far from every command", () => {
    expect(closestNames("frobnicate", commands)).toEqual([]);
    expect(didYouMean("xyz", commands)).toBe("");
    expect(didYouMean("jsn", ["json", "key"], "--")).toBe("; did you mean --json?");
  });
});
