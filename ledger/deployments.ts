import { and, eq } from "drizzle-orm";
import type { JsonRpcProvider } from "ethers";
import { contractDeployments, type Db } from "../store/index.js";
import { deployUsageLedger } from "./client.js";
import { LedgerError } from "./errors.js";

/**
 * Returns the UsageLedger address for this chain, deploying it on first use. A recorded address
 * with no code (a chain reset under a kept database) is an error, never a silent redeploy.
 */
export async function ensureUsageLedger(db: Db, provider: JsonRpcProvider, privateKey: string): Promise<string> {
  const chainId = Number((await provider.getNetwork()).chainId);
  const [known] = await db
    .select()
    .from(contractDeployments)
    .where(and(eq(contractDeployments.chainId, chainId), eq(contractDeployments.name, "UsageLedger")));
  if (known) {
    if ((await provider.getCode(known.address)) === "0x") {
      throw new LedgerError(
        "deployment_missing",
        `UsageLedger is recorded at ${known.address} on chain ${chainId}, but the chain has no code there: the chain was reset while the database was kept`,
      );
    }
    return known.address;
  }
  const deployed = await deployUsageLedger(provider, privateKey);
  await db
    .insert(contractDeployments)
    .values({ chainId, name: "UsageLedger", address: deployed.address, txHash: deployed.txHash });
  return deployed.address;
}
