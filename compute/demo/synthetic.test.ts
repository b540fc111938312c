import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { normaliseUscc } from "../../lib/uscc.js";
import { openDataStore } from "../node/sources.js";
import { columnsOf, DEMO_OWNERS, demoCsv } from "./owners.js";
import { organisationCode, syntheticEnterprises } from "./synthetic.js";

describe("synthetic public data", () => {
  it("gives every enterprise a unique code with valid check characters", () => {
    const enterprises = syntheticEnterprises(300);
    expect(new Set(enterprises.map((e) => e.uscc)).size).toBe(300);
    for (const e of enterprises) {
      expect(normaliseUscc(e.uscc)).toBe(e.uscc);
      expect(organisationCode(e.uscc.slice(8, 16))).toBe(e.uscc.slice(8, 17));
    }
  });

  it("computes GB 11714 organisation check characters as published (X and 0 cases included)", () => {
    // Organisation codes embedded in the published codes of Huawei (19220382-1) and Tencent (71526726-X).
    expect(organisationCode("19220382")).toBe("192203821");
    expect(organisationCode("71526726")).toBe("71526726X");
  });

  it("is the same for the same seed and differs for another", () => {
    expect(syntheticEnterprises(5)).toEqual(syntheticEnterprises(5));
    expect(syntheticEnterprises(5, "other")[0]?.uscc).not.toBe(syntheticEnterprises(5)[0]?.uscc);
  });

  it("writes each owner's dataset as CSV a node can query and sum", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "sluice-demo-csv-"));
    try {
      for (const owner of DEMO_OWNERS) {
        const csv = demoCsv(owner, 50);
        const file = path.join(dir, `${owner.dataset.id}.csv`);
        writeFileSync(file, csv);
        const [header, ...lines] = csv.trim().split("\n");
        expect(lines.length).toBeGreaterThan(30);
        const column = (header as string).split(",").indexOf("wages_fen");
        const expected = lines.reduce((t, line) => t + BigInt(line.split(",")[column] as string), 0n);
        const store = openDataStore({
          workDirectory: path.join(dir, "work"),
          sources: { maxConnections: 1, statementTimeoutMs: 30_000, duckdbThreads: 1, duckdbMemoryLimit: "128MB" },
          datasets: [{ id: owner.dataset.id, file, columns: columnsOf(owner) }],
        });
        try {
          expect(await store.aggregate(owner.dataset.id, "wages_fen", { aggregate: "sum", filters: [] })).toEqual([
            BigInt(lines.length),
            expected,
          ]);
        } finally {
          await store.close();
        }
        expect(expected).toBeGreaterThan(0n);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
