import { describe, expect, it } from "vitest";
import { parseWhere, UsageError } from "./commands.js";

describe("the CLI's --where filters", () => {
  it.each([
    ["district = 330102", { field: "district", op: "=", value: 330102 }],
    ["industry != C13", { field: "industry", op: "!=", value: "C13" }],
    ["wages_fen>=100000.5", { field: "wages_fen", op: ">=", value: 100000.5 }],
    ["employees between 10 and 50", { field: "employees", op: "between", min: 10, max: 50 }],
    ["industry in C13, C14,C15", { field: "industry", op: "in", values: ["C13", "C14", "C15"] }],
    ["employees in 1,2", { field: "employees", op: "in", values: [1, 2] }],
  ])("reads %s", (text, filter) => {
    expect(parseWhere(text)).toEqual(filter);
  });

  it.each(["district", "= 5", "district ~ 5", "drop table x"])("refuses %s with a usage error", (text) => {
    expect(() => parseWhere(text)).toThrow(UsageError);
  });
});
