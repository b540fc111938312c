import { appendFileSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ScenarioTerms } from "../../lib/approvals.js";
import { SpendLedger } from "./spend-ledger.js";

const terms = (changes: Partial<ScenarioTerms> = {}): ScenarioTerms => ({
  scenarioId: "sc_1",
  operatorId: "bank",
  fields: ["ds_a.amount"],
  computeModes: ["mpc"],
  queryShapes: ["sum"],
  minGroupSize: 10,
  epsilonPerQueryMicro: 1_000_000,
  epsilonBudgetMicro: 2_000_000,
  queryQuota: 3,
  validFrom: "2026-01-01T00:00:00.000Z",
  validUntil: "2027-01-01T00:00:00.000Z",
  ...changes,
});

const ledgerFile = () => join(mkdtempSync(join(tmpdir(), "sluice-spend-")), "spend-ledger.jsonl");

describe("the node's own ledger of what each scenario spent", () => {
  it("counts queries and ε per scenario against what the owner signed", () => {
    const ledger = new SpendLedger();
    ledger.take(terms(), { jobId: "j1", epsilonMicro: 1_000_000 });
    ledger.take(terms({ scenarioId: "sc_2" }), { jobId: "j2", epsilonMicro: 2_000_000 });
    expect(ledger.spentBy("sc_1")).toEqual({ queries: 1, epsilonMicro: 1_000_000 });
    expect(ledger.spentBy("sc_2")).toEqual({ queries: 1, epsilonMicro: 2_000_000 });
    expect(() => ledger.take(terms(), { jobId: "j3", epsilonMicro: 1_000_001 })).toThrow(/ε 1 left of the 2/);
    ledger.take(terms(), { jobId: "j3", epsilonMicro: 0 });
    ledger.take(terms(), { jobId: "j4", epsilonMicro: 0 });
    expect(() => ledger.take(terms(), { jobId: "j5", epsilonMicro: 0 })).toThrow(/used the 3 queries/);
    expect(ledger.spentBy("sc_1")).toEqual({ queries: 3, epsilonMicro: 1_000_000 });
  });

  it("counts a job once and refuses it a second time", () => {
    const ledger = new SpendLedger();
    ledger.take(terms(), { jobId: "j1", epsilonMicro: 0 });
    expect(() => ledger.take(terms(), { jobId: "j1", epsilonMicro: 0 })).toThrow(/already computed at this node/);
    expect(ledger.spentBy("sc_1").queries).toBe(1);
  });

  it("remembers every job after a restart, and refuses a refused job without writing it", () => {
    const file = ledgerFile();
    const before = new SpendLedger(file);
    before.take(terms(), { jobId: "j1", epsilonMicro: 1_500_000 });
    expect(() => before.take(terms(), { jobId: "j2", epsilonMicro: 1_000_000 })).toThrow(/ε 0.5 left/);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const after = new SpendLedger(file);
    expect(after.has("j1")).toBe(true);
    expect(after.has("j2")).toBe(false);
    expect(after.spentBy("sc_1")).toEqual({ queries: 1, epsilonMicro: 1_500_000 });
    expect(() => after.take(terms(), { jobId: "j1", epsilonMicro: 0 })).toThrow(/already computed/);
    expect(() => after.take(terms(), { jobId: "j3", epsilonMicro: 600_000 })).toThrow(/ε 0.5 left/);
  });

  it("skips a line a crash cut short, and keeps every whole one", () => {
    const file = ledgerFile();
    new SpendLedger(file).take(terms(), { jobId: "j1", epsilonMicro: 0 });
    appendFileSync(file, '{"scenarioId":"sc_1","jobId":"j2","eps');
    const after = new SpendLedger(file);
    expect(after.spentBy("sc_1").queries).toBe(1);
    after.take(terms(), { jobId: "j3", epsilonMicro: 0 });
    expect(new SpendLedger(file).spentBy("sc_1").queries).toBe(2);
    expect(readFileSync(file, "utf8")).toContain('"jobId":"j3"');
  });
});
