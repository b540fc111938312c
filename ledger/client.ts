import { keccak_256 } from "@noble/hashes/sha3.js";
import { Contract, ContractFactory, isHexString, type JsonRpcProvider } from "ethers";
import { decodeAnchorBatchCall, encodeAnchorBatchCall } from "./anchor-call.js";
import { loadArtifact } from "./artifacts.js";
import { LedgerError } from "./errors.js";
import type { TransactionOverrides } from "./provider.js";
import { sendLargeCall } from "./raw-transaction.js";
import { receiptOf } from "./receipt.js";
import { chainSigner, sending } from "./signer.js";

export interface AnchoredBatch {
  root: string;
  recordCount: number;
  feeTotalFen: bigint;
  periodStart: number;
  periodEnd: number;
  anchoredAt: number;
  /** keccak256 of the leaves packed in leaf order. */
  leavesHash: string;
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
  transactionOverrides?: TransactionOverrides;
}

/** keccak256 of record hashes packed as bytes32 in leaf order (abi.encodePacked), as UsageLedger keeps it. */
export function leavesHashOf(leaves: readonly string[]): string {
  const packed = Buffer.concat(leaves.map((l) => Buffer.from(l.startsWith("0x") ? l.slice(2) : l, "hex")));
  return `0x${Buffer.from(keccak_256(packed)).toString("hex")}`;
}

/** Turns a platform id (e.g. `batch_…`) into the bytes32 the contract keys batches by. */
export function toBytes32Id(id: string): string {
  const bytes = Buffer.from(id, "utf8");
  if (bytes.length > 32) throw new LedgerError("id_too_long", `id ${id} is longer than 32 bytes`);
  return `0x${Buffer.concat([bytes, Buffer.alloc(32 - bytes.length)]).toString("hex")}`;
}

/** The id a bytes32 from the chain carries (toBytes32Id's inverse). */
export function fromBytes32Id(value: string): string {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) throw new LedgerError("chain_response_invalid", `${value} is not a bytes32`);
  return Buffer.from(value.slice(2), "hex").toString("utf8").replace(/\0+$/, "");
}

/** Deploys UsageLedger with the signer as admin and anchorer; returns its address and deployment tx. */
export function deployUsageLedger(provider: JsonRpcProvider, privateKey: string) {
  return deployWithRole(provider, privateKey, "UsageLedger", "ANCHOR_ROLE");
}

/** Deploys a Sluice contract with the signer as admin, and grants the signer the contract's writer role. */
export async function deployWithRole(
  provider: JsonRpcProvider,
  privateKey: string,
  name: string,
  role: string,
  overrides: TransactionOverrides = {},
) {
  const signer = chainSigner(provider, privateKey);
  const artifact = loadArtifact(name);
  const factory = new ContractFactory(artifact.abi, artifact.bytecode, signer);
  const admin = await signer.getAddress();
  const contract = await sending(signer, () => factory.deploy(admin, { ...overrides }));
  const deployment = contract.deploymentTransaction();
  if (!deployment) throw new LedgerError("deployment_missing", `${name} was deployed without a transaction`);
  await receiptOf(provider, deployment.hash);
  const address = await contract.getAddress();
  const ledger = new Contract(address, artifact.abi, signer);
  const roleId = await ledger.getFunction(role)();
  const grant = await sending(signer, () => ledger.getFunction("grantRole")(roleId, admin, { ...overrides }));
  await receiptOf(provider, grant.hash);
  return { address, txHash: deployment.hash };
}

/**
 * Client of the Sluice contracts over JSON-RPC (ethers v6).
 *
 * @example
 * const ledger = createLedgerClient({ provider, privateKey, usageLedgerAddress });
 * await ledger.anchorBatch({ batchId: "batch_1", root, leaves, feeTotalFen: 1500n, periodStart, periodEnd });
 * const fromChain = await ledger.readBatchLeaves("batch_1");
 */
export function createLedgerClient(options: LedgerClientOptions) {
  const artifact = loadArtifact("UsageLedger");
  const signer = chainSigner(options.provider, options.privateKey);
  const ledger = new Contract(options.usageLedgerAddress, artifact.abi, signer);
  const confirmations = Math.max(1, options.confirmations ?? 1);

  /** Every transaction that emitted BatchAnchored for a batch (one, on a sound chain: batches are write-once). */
  async function findAnchorTransactions(batchId: string): Promise<AnchorReceipt[]> {
    const events = await ledger.queryFilter(ledger.filters.BatchAnchored?.(toBytes32Id(batchId)) ?? "BatchAnchored");
    return events.map((event) => ({ txHash: event.transactionHash, blockNumber: event.blockNumber }));
  }

  /** The batch as the chain holds it, or null when it was never anchored. */
  async function getBatch(batchId: string): Promise<AnchoredBatch | null> {
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
        leavesHash: String(b.leavesHash),
      };
    } catch (error) {
      if ((error as { revert?: { name?: string } }).revert?.name === "UsageLedgerUnknownBatch") return null;
      throw new LedgerError("chain_unavailable", `could not read batch ${batchId} from the chain`, { cause: error });
    }
  }

  return {
    address: options.usageLedgerAddress,

    async chainId(): Promise<number> {
      return Number((await options.provider.getNetwork()).chainId);
    },

    /** Forgets the counted nonce, so the next send reads it from the chain (after a reorganisation dropped sends). */
    resetNonce() {
      signer.reset();
    },

    async blockNumber(): Promise<number> {
      return options.provider.getBlockNumber();
    },

    async hasCode(): Promise<boolean> {
      return (await options.provider.getCode(options.usageLedgerAddress)) !== "0x";
    },

    /** Sends the batch with its leaves (record hashes, hex, in leaf order) and waits for its receipt; `onSent` runs between the two. */
    async anchorBatch(
      batch: {
        batchId: string;
        root: string;
        leaves: readonly string[];
        feeTotalFen: bigint;
        periodStart: number;
        periodEnd: number;
      },
      onSent?: (txHash: string) => void,
    ): Promise<AnchorReceipt> {
      if (!isHexString(batch.root, 32))
        throw new LedgerError("invalid_root", `root ${batch.root} is not 32 bytes of hex`);
      const data = encodeAnchorBatchCall({ ...batch, batchId: toBytes32Id(batch.batchId) });
      const receipt = await sending(signer, () =>
        sendLargeCall(
          signer,
          { to: options.usageLedgerAddress, data },
          { overrides: options.transactionOverrides, confirmations, onSent },
        ),
      );
      if (receipt.status !== 1) throw new LedgerError("anchor_failed", `anchoring ${batch.batchId} failed`);
      return { txHash: receipt.hash, blockNumber: receipt.blockNumber };
    },

    /**
     * The leaves the chain holds for a batch (record hashes, lower-case hex without 0x, in leaf
     * order), read from the calldata of the transaction its BatchAnchored event names and checked
     * against the count and keccak256 the contract stored; null when the batch was never anchored.
     * Nothing here comes from Sluice's database.
     */
    async readBatchLeaves(batchId: string, anchored?: AnchoredBatch | null): Promise<string[] | null> {
      const onChain = anchored === undefined ? await getBatch(batchId) : anchored;
      if (!onChain) return null;
      const invalid = (why: string) =>
        new LedgerError("chain_response_invalid", `the chain's copy of batch ${batchId}'s leaves ${why}`);
      for (const { txHash } of await findAnchorTransactions(batchId)) {
        // The raw answer: ethers' own parsing of 131 KB of calldata costs more than the chain's work.
        const tx = (await options.provider.send("eth_getTransactionByHash", [txHash])) as {
          to?: string | null;
          input?: string;
        } | null;
        if (!tx || tx.to?.toLowerCase() !== options.usageLedgerAddress.toLowerCase()) continue;
        if (typeof tx.input !== "string" || !/^0x([0-9a-fA-F]{2})*$/.test(tx.input)) throw invalid("arrived malformed");
        const call = decodeAnchorBatchCall(Buffer.from(tx.input.slice(2), "hex"));
        if (!call || call.batchId !== toBytes32Id(batchId)) continue;
        const { leaves } = call;
        if (leaves.length !== onChain.recordCount)
          throw invalid(`hold ${leaves.length} leaves, not ${onChain.recordCount}`);
        if (leavesHashOf(leaves) !== onChain.leavesHash) throw invalid("do not hash to what the contract stored");
        return leaves;
      }
      throw invalid("cannot be found: no direct anchoring transaction for it");
    },

    findAnchorTransactions,

    /** The transaction that anchored a batch, found from its BatchAnchored event. */
    async findAnchorTransaction(batchId: string): Promise<AnchorReceipt | null> {
      return (await findAnchorTransactions(batchId))[0] ?? null;
    },

    getBatch,
  };
}

export type LedgerClient = ReturnType<typeof createLedgerClient>;
