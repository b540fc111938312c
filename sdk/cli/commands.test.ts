import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { generateEd25519KeyPair } from "../../lib/ed25519.js";
import { readKeyFile } from "../../lib/key-file.js";
import { aggregateQuery, keyFileProblem, parseWhere, UsageError } from "./commands.js";
import { helpers } from "./handler.js";

describe("the CLI's --where filters", () => {
  it.each([
    ["district = 330102", { field: "district", op: "=", value: 330102 }],
    ["industry != C13", { field: "industry", op: "!=", value: "C13" }],
    ["wages_fen>=100000.5", { field: "wages_fen", op: ">=", value: 100000.5 }],
    ["employees between 10 and 50", { field: "employees", op: "between", min: 10, max: 50 }],
    ["industry in C13, C14,C15", { field: "industry", op: "in", values: ["C13", "C14", "C15"] }],
    ["employees in 1,2", { field: "employees", op: "in", values: [1, 2] }],
    ['district = "330102"', { field: "district", op: "=", value: "330102" }],
    ["industry in 'C13',C14", { field: "industry", op: "in", values: ["C13", "C14"] }],
  ])("reads %s", (text, filter) => {
    expect(parseWhere(text)).toEqual(filter);
  });

  it.each(["district", "= 5", "district ~ 5", "drop table x"])("refuses %s with a usage error", (text) => {
    expect(() => parseWhere(text)).toThrow(UsageError);
  });
});

describe("the CLI's query options", () => {
  const query = (options: Record<string, string | string[]>) =>
    aggregateQuery(helpers({ command: "query", args: [], options: { scenario: "sc_1", ...options }, json: false }));

  it("refuses a doubled operator, naming the one to use", () => {
    for (const text of ["district == 330102", "wages_fen => 5", "wages_fen <> 5", "wages_fen != = 5"]) {
      expect(() => parseWhere(text)).toThrow(/is not an operator; use =, !=, <, <=, > or >=/);
    }
  });

  it("refuses --groups without --group-by and the reverse, before anything is sent", () => {
    expect(() => query({ field: ["ds.wages_fen"], groups: "330102,330105" })).toThrow(
      "--groups needs --group-by <field>: the values are of which field?",
    );
    expect(() => query({ field: ["ds.wages_fen"], "group-by": "district" })).toThrow("--group-by needs --groups");
    expect(query({ field: ["ds.wages_fen"], "group-by": "district", groups: "330102,330105" })).toMatchObject({
      groupBy: { field: "district", values: ["330102", "330105"] },
    });
  });
});

describe("a key file the CLI cannot use", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "sluice-key-"));
  const problemWith = (name: string, text?: string) => {
    const file = path.join(dir, name);
    if (text !== undefined) writeFileSync(file, text);
    try {
      readKeyFile(file);
    } catch (error) {
      return keyFileProblem(file, error as Error);
    }
    throw new Error(`${name} was read`);
  };

  it("is answered with what is wrong and what a key file is, whatever it holds", () => {
    const pem = generateEd25519KeyPair().privateKeyPem;
    const cases: [string, string | undefined, RegExp][] = [
      ["missing.json", undefined, /^no key file at .*missing\.json; a key file is the JSON that `sluice keygen/],
      ["junk.key", "junk\n", /junk\.key is not a Sluice key file \(it is not JSON\); a key file is the JSON/],
      ["key.pem", pem, /key\.pem is a PEM key, not a Sluice key file; a key file is the JSON .* privateKeyPem/],
      ["partial.json", '{"id":"x"}', /partial\.json is not a Sluice key file \(it is invalid: .*publicKey/],
    ];
    for (const [name, text, expected] of cases) expect(problemWith(name, text), name).toMatch(expected);
  });
});
