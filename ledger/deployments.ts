import { and, eq, sql } from "drizzle-orm";
import type { JsonRpcProvider } from "ethers";
import { contractDeployments, type Db, type DbOrTx } from "../store/index.js";
import { loadArtifact } from "./artifacts.js";
import { createAuthorisationRegistryClient } from "./authorisation-registry.js";
import { createLedgerClient, deployWithRole } from "./client.js";
import { LedgerError } from "./errors.js";
import { createParticipantRegistryClient } from "./participant-registry.js";
import type { TransactionOverrides } from "./provider.js";
import { createSettlementClient } from "./settlement-client.js";

/**
 * Returns a contract's address on this chain, deploying it on first use. A recorded address with no
 * code (a chain reset under a kept database) is an error, never a silent redeploy. Gateways starting
 * together on one database take turns: the check, the deployment and its record run under a
 * transaction-scoped advisory lock per chain and contract, so the second finds the first's record
 * instead of deploying again (and no two send from the chain account at once).
 */
function ensureContract(
  db: Db,
  provider: JsonRpcProvider,
  privateKey: string,
  name: string,
  role: string,
  overrides: TransactionOverrides = {},
): Promise<string> {
  return db.transaction(async (tx) => {
    const chainId = Number((await provider.getNetwork()).chainId);
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`sluice/deploy/${chainId}/${name}`}))`);
    return deployOnce(tx, provider, privateKey, name, role, chainId, overrides);
  });
}

async function deployOnce(
  db: DbOrTx,
  provider: JsonRpcProvider,
  privateKey: string,
  name: string,
  role: string,
  chainId: number,
  overrides: TransactionOverrides,
): Promise<string> {
  const [known] = await db
    .select()
    .from(contractDeployments)
    .where(and(eq(contractDeployments.chainId, chainId), eq(contractDeployments.name, name)));
  if (known) {
    const code = await provider.getCode(known.address);
    if (code === "0x") {
      throw new LedgerError(
        "deployment_missing",
        `${name} is recorded at ${known.address} on chain ${chainId}, but the chain has no code there: the chain was reset while the database was kept`,
      );
    }
    if (code.toLowerCase() !== loadArtifact(name).deployedBytecode.toLowerCase()) {
      throw new LedgerError(
        "deployment_outdated",
        `${name} at ${known.address} on chain ${chainId} is not the contract this release was built with (an earlier version, or compiled for another EVM version): start on a new chain and database, or see ledger/README.md`,
      );
    }
    return known.address;
  }
  const deployed = await deployWithRole(provider, privateKey, name, role, overrides);
  await db.insert(contractDeployments).values({ chainId, name, address: deployed.address, txHash: deployed.txHash });
  return deployed.address;
}

export function ensureUsageLedger(db: Db, provider: JsonRpcProvider, privateKey: string): Promise<string> {
  return ensureContract(db, provider, privateKey, "UsageLedger", "ANCHOR_ROLE");
}

export function ensureParticipantRegistry(db: Db, provider: JsonRpcProvider, privateKey: string): Promise<string> {
  return ensureContract(db, provider, privateKey, "ParticipantRegistry", "REGISTRAR_ROLE");
}

/** How Sluice's transactions are sent on a chain. */
export interface ChainSettings {
  /** Confirmations a transaction waits for (1 on an instant-finality chain). */
  confirmations?: number;
  transactionOverrides?: TransactionOverrides;
}

/**
 * The contracts Sluice writes to on a chain, deployed on first use: usage ledger, participant and
 * authorisation registries, settlements.
 */
export async function connectContracts(
  db: Db,
  provider: JsonRpcProvider,
  privateKey: string,
  settings: ChainSettings = {},
) {
  const overrides = settings.transactionOverrides ?? {};
  const ensure = (name: string, role: string) => ensureContract(db, provider, privateKey, name, role, overrides);
  const usageLedgerAddress = await ensure("UsageLedger", "ANCHOR_ROLE");
  const registryAddress = await ensure("ParticipantRegistry", "REGISTRAR_ROLE");
  const authorisationAddress = await ensure("AuthorisationRegistry", "REGISTRAR_ROLE");
  const settlementAddress = await ensure("SettlementLedger", "SETTLE_ROLE");
  const common = { provider, privateKey, transactionOverrides: overrides };
  const confirm = { confirmations: settings.confirmations };
  return {
    ledger: createLedgerClient({ ...common, ...confirm, usageLedgerAddress }),
    participantRegistry: createParticipantRegistryClient({ ...common, ...confirm, address: registryAddress }),
    authorisationRegistry: createAuthorisationRegistryClient({ ...common, ...confirm, address: authorisationAddress }),
    settlement: createSettlementClient({ ...common, ...confirm, address: settlementAddress }),
  };
}
