// An anchoring worker in a process of its own, for the kill tests: it takes the anchoring lease,
// makes one pass over the outbox, and sends a SIGKILL to itself at the step named by SLUICE_TEST_CRASH_AT.
import { anchorPending } from "../../ledger/anchor.js";
import { createLedgerClient } from "../../ledger/client.js";
import { ANCHORING_LEASE, createLeaderLease } from "../../ledger/leader-lease.js";
import { createChainProvider } from "../../ledger/provider.js";
import { createDb } from "../../store/index.js";
import { requiredEnv } from "./env.js";

const database = await createDb({ url: requiredEnv("DATABASE_URL") });
const provider = createChainProvider(requiredEnv("CHAIN_RPC_URL"));
const ledger = createLedgerClient({
  provider,
  privateKey: requiredEnv("SLUICE_CHAIN_PRIVATE_KEY"),
  usageLedgerAddress: requiredEnv("USAGE_LEDGER_ADDRESS"),
});
const crashAt = requiredEnv("SLUICE_TEST_CRASH_AT");
const lease = createLeaderLease({
  db: database.db,
  name: ANCHORING_LEASE,
  holder: `killed-leader-${process.pid}`,
  ttlMs: Number(requiredEnv("SLUICE_TEST_LEASE_MS")),
});
await lease.start();
if (!lease.held) throw new Error("another replica holds the anchoring lease");
const batch = await anchorPending({
  db: database.db,
  ledger,
  gatewayPublicKey: requiredEnv("GATEWAY_PUBLIC_KEY"),
  onStep: (step) => {
    if (step === crashAt) process.kill(process.pid, "SIGKILL");
  },
});
process.stdout.write(`${JSON.stringify({ completed: batch })}\n`);
provider.destroy();
await database.close();
