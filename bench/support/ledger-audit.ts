// The audit of the ledger benchmark, in a process of its own so that its peak memory is its own.
import { inArray } from "drizzle-orm";
import { auditPeriod } from "../../ledger/audit.js";
import { createLedgerClient } from "../../ledger/client.js";
import { LedgerPool } from "../../ledger/ledger-pool.js";
import { createChainProvider } from "../../ledger/provider.js";
import { createSettlementClient } from "../../ledger/settlement-client.js";
import { createDb, scenarios } from "../../store/index.js";
import { requiredEnv } from "../../test/support/env.js";
import { auditFloorSeconds } from "./audit-floor.js";

const database = await createDb({ url: requiredEnv("DATABASE_URL") });
const provider = createChainProvider(requiredEnv("CHAIN_RPC_URL"));
const privateKey = requiredEnv("SLUICE_CHAIN_PRIVATE_KEY");
const pool = new LedgerPool(2);
const started = performance.now();
const report = await auditPeriod(
  {
    db: database.db,
    ledger: createLedgerClient({ provider, privateKey, usageLedgerAddress: requiredEnv("USAGE_LEDGER_ADDRESS") }),
    settlement: createSettlementClient({ provider, privateKey, address: requiredEnv("SETTLEMENT_ADDRESS") }),
    gatewayPublicKey: requiredEnv("GATEWAY_PUBLIC_KEY"),
    sharesOf: async (ids) => {
      const rows = await database.db.select().from(scenarios).where(inArray(scenarios.id, ids));
      return new Map(rows.map((s) => [s.id, s]));
    },
    pool,
  },
  { start: new Date(requiredEnv("PERIOD_START")), end: new Date(requiredEnv("PERIOD_END")) },
);
const seconds = (performance.now() - started) / 1000;
const peakRssMb = process.resourceUsage().maxRSS / 1024;
// The same period's floor, in the same process and run, after the audit (so its reads find a cache
// at least as warm as the audit's did).
const floor = await auditFloorSeconds(database.db, {
  start: new Date(requiredEnv("PERIOD_START")),
  end: new Date(requiredEnv("PERIOD_END")),
});
process.stdout.write(
  `${JSON.stringify({
    seconds,
    floorSeconds: floor.seconds,
    floorTexts: floor.texts,
    peakRssMb,
    records: report.records,
    batches: report.batches,
    statements: report.statements,
    decisionsReplayed: report.decisionsReplayed,
    findings: report.findings.length,
    ok: report.ok,
  })}\n`,
);
await pool.close();
provider.destroy();
await database.close();
