import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contractDeployments, type Database } from "../store/index.js";
import { type TestChain, testChainsAndDatabases } from "../test/support/chains.js";
import { connectContracts } from "./deployments.js";
import { EMBEDDED_CHAIN_PRIVATE_KEY } from "./embedded-chain.js";

describe.each(testChainsAndDatabases())("the contracts' first deployment on $name", ({
  chain: kind,
  database: store,
}) => {
  let chain: TestChain;
  let database: Database;

  beforeAll(async () => {
    chain = await kind.start();
    database = await store.open();
  }, 60_000);
  afterAll(async () => {
    await database?.close();
    await chain?.stop();
  });

  it("happens once when gateways start together on one database: every one uses the same contracts", async () => {
    const addresses = async () => {
      const { ledger, participantRegistry, authorisationRegistry, settlement } = await connectContracts(
        database.db,
        chain.provider,
        EMBEDDED_CHAIN_PRIVATE_KEY,
      );
      return [ledger, participantRegistry, authorisationRegistry, settlement].map((c) => c.address);
    };
    const started = await Promise.all([addresses(), addresses(), addresses()]);
    expect(new Set(started.map((a) => a.join())).size).toBe(1);
    const rows = await database.db.select().from(contractDeployments);
    expect(rows.map((r) => r.name).sort()).toEqual([
      "AuthorisationRegistry",
      "ParticipantRegistry",
      "SettlementLedger",
      "UsageLedger",
    ]);
    // Each recorded address holds code, deployed by one transaction each.
    for (const row of rows) expect(await chain.provider.getCode(row.address)).not.toBe("0x");
    expect(new Set(rows.map((r) => r.txHash)).size).toBe(4);
  }, 60_000);
});
