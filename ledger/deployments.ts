import { and, eq } from "drizzle-orm";
import type { JsonRpcProvider } from "ethers";
import { contractDeployments, type Db } from "../store/index.js";
import { createLedgerClient, deployWithRole } from "./client.js";
import { LedgerError } from "./errors.js";
import { createParticipantRegistryClient } from "./participant-registry.js";
import { createSettlementClient } from "./settlement-client.js";

/**
 * Returns a contract's address on this chain, deploying it on first use. A recorded address with no
 * code (a chain reset under a kept database) is an error, never a silent redeploy.
 */
async function ensureContract(
  db: Db,
  provider: JsonRpcProvider,
  privateKey: string,
  name: string,
  role: string,
): Promise<string> {
  const chainId = Number((await provider.getNetwork()).chainId);
  const [known] = await db
    .select()
    .from(contractDeployments)
    .where(and(eq(contractDeployments.chainId, chainId), eq(contractDeployments.name, name)));
  if (known) {
    if ((await provider.getCode(known.address)) === "0x") {
      throw new LedgerError(
        "deployment_missing",
        `${name} is recorded at ${known.address} on chain ${chainId}, but the chain has no code there: the chain was reset while the database was kept`,
      );
    }
    return known.address;
  }
  const deployed = await deployWithRole(provider, privateKey, name, role);
  await db.insert(contractDeployments).values({ chainId, name, address: deployed.address, txHash: deployed.txHash });
  return deployed.address;
}

export function ensureUsageLedger(db: Db, provider: JsonRpcProvider, privateKey: string): Promise<string> {
  return ensureContract(db, provider, privateKey, "UsageLedger", "ANCHOR_ROLE");
}

export function ensureParticipantRegistry(db: Db, provider: JsonRpcProvider, privateKey: string): Promise<string> {
  return ensureContract(db, provider, privateKey, "ParticipantRegistry", "REGISTRAR_ROLE");
}

/** The contracts Sluice writes to on a chain, deployed on first use: usage ledger, participant registry, settlements. */
export async function connectContracts(db: Db, provider: JsonRpcProvider, privateKey: string) {
  const usageLedgerAddress = await ensureUsageLedger(db, provider, privateKey);
  const registryAddress = await ensureParticipantRegistry(db, provider, privateKey);
  const settlementAddress = await ensureContract(db, provider, privateKey, "SettlementLedger", "SETTLE_ROLE");
  return {
    ledger: createLedgerClient({ provider, privateKey, usageLedgerAddress }),
    participantRegistry: createParticipantRegistryClient({ provider, privateKey, address: registryAddress }),
    settlement: createSettlementClient({ provider, privateKey, address: settlementAddress }),
  };
}
