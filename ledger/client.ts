import { Contract, ContractFactory, isHexString, type JsonRpcProvider, NonceManager, Wallet } from "ethers";
import { loadArtifact } from "./artifacts.js";
import { LedgerError } from "./errors.js";

export interface AnchoredBatch {
  root: string;
  recordCount: number;
  feeTotalFen: bigint;
  periodStart: number;
  periodEnd: number;
  anchoredAt: number;
}

export interface AnchorReceipt {
  txHash: string;
  blockNumber: number;
}

export interface LedgerClientOptions {
  provider: JsonRpcProvider;
  /** Key of the account that deploys and anchors (holds ANCHOR_ROLE). */
  privateKey: string;
  usageLedgerAddress: string;
  /** Confirmations to wait for before a batch counts as anchored (1 on an instant-finality chain). */
  confirmations?: number;
}

/** Turns a platform id (e.g. `batch_…`) into the bytes32 the contract keys batches by. */
export function toBytes32Id(id: string): string {
  const bytes = Buffer.from(id, "utf8");
  if (bytes.length > 32) throw new LedgerError("id_too_long", `id ${id} is longer than 32 bytes`);
  return `0x${Buffer.concat([bytes, Buffer.alloc(32 - bytes.length)]).toString("hex")}`;
}

/** Deploys UsageLedger with the signer as admin and anchorer; returns its address and deployment tx. */
export function deployUsageLedger(provider: JsonRpcProvider, privateKey: string) {
  return deployWithRole(provider, privateKey, "UsageLedger", "ANCHOR_ROLE");
}

/** Deploys a Sluice contract with the signer as admin, and grants the signer the contract's writer role. */
export async function deployWithRole(provider: JsonRpcProvider, privateKey: string, name: string, role: string) {
  const signer = new NonceManager(new Wallet(privateKey, provider));
  const artifact = loadArtifact(name);
  const factory = new ContractFactory(artifact.abi, artifact.bytecode, signer);
  const admin = await signer.getAddress();
  const contract = await factory.deploy(admin);
  const deployment = contract.deploymentTransaction();
  await contract.waitForDeployment();
  const address = await contract.getAddress();
  const ledger = new Contract(address, artifact.abi, signer);
  const grant = await ledger.getFunction("grantRole")(await ledger.getFunction(role)(), admin);
  await grant.wait();
  return { address, txHash: deployment?.hash ?? "" };
}

/**
 * Client of the Sluice contracts over JSON-RPC (ethers v6).
 *
 * @example
 * const ledger = createLedgerClient({ provider, privateKey, usageLedgerAddress });
 * await ledger.anchorBatch({ batchId: "batch_1", root, recordCount: 3, feeTotalFen: 1500n, periodStart, periodEnd });
 */
export function createLedgerClient(options: LedgerClientOptions) {
  const artifact = loadArtifact("UsageLedger");
  const signer = new NonceManager(new Wallet(options.privateKey, options.provider));
  const ledger = new Contract(options.usageLedgerAddress, artifact.abi, signer);
  const confirmations = options.confirmations ?? 1;

  return {
    address: options.usageLedgerAddress,

    async chainId(): Promise<number> {
      return Number((await options.provider.getNetwork()).chainId);
    },

    async blockNumber(): Promise<number> {
      return options.provider.getBlockNumber();
    },

    async hasCode(): Promise<boolean> {
      return (await options.provider.getCode(options.usageLedgerAddress)) !== "0x";
    },

    async anchorBatch(batch: {
      batchId: string;
      root: string;
      recordCount: number;
      feeTotalFen: bigint;
      periodStart: number;
      periodEnd: number;
    }): Promise<AnchorReceipt> {
      if (!isHexString(batch.root, 32))
        throw new LedgerError("invalid_root", `root ${batch.root} is not 32 bytes of hex`);
      const tx = await ledger.getFunction("anchorBatch")(
        toBytes32Id(batch.batchId),
        batch.root,
        batch.recordCount,
        batch.feeTotalFen,
        batch.periodStart,
        batch.periodEnd,
      );
      const receipt = await tx.wait(confirmations);
      if (!receipt || receipt.status !== 1) throw new LedgerError("anchor_failed", `anchoring ${batch.batchId} failed`);
      return { txHash: receipt.hash, blockNumber: receipt.blockNumber };
    },

    /** The transaction that anchored a batch, found from its BatchAnchored event. */
    async findAnchorTransaction(batchId: string): Promise<AnchorReceipt | null> {
      const events = await ledger.queryFilter(ledger.filters.BatchAnchored?.(toBytes32Id(batchId)) ?? "BatchAnchored");
      const event = events[0];
      return event ? { txHash: event.transactionHash, blockNumber: event.blockNumber } : null;
    },

    /** The batch as the chain holds it, or null when it was never anchored. */
    async getBatch(batchId: string): Promise<AnchoredBatch | null> {
      const id = toBytes32Id(batchId);
      try {
        const b = await ledger.getFunction("getBatch")(id);
        return {
          root: String(b.root),
          recordCount: Number(b.recordCount),
          feeTotalFen: BigInt(b.feeTotalFen),
          periodStart: Number(b.periodStart),
          periodEnd: Number(b.periodEnd),
          anchoredAt: Number(b.anchoredAt),
        };
      } catch (error) {
        if ((error as { revert?: { name?: string } }).revert?.name === "UsageLedgerUnknownBatch") return null;
        throw new LedgerError("chain_unavailable", `could not read batch ${batchId} from the chain`, { cause: error });
      }
    },
  };
}

export type LedgerClient = ReturnType<typeof createLedgerClient>;
