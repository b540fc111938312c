import { Contract, isHexString, type JsonRpcProvider } from "ethers";
import { loadArtifact } from "./artifacts.js";
import { type AnchorReceipt, toBytes32Id } from "./client.js";
import { LedgerError } from "./errors.js";
import type { TransactionOverrides } from "./provider.js";
import { receiptOf } from "./receipt.js";
import type { SettlementStatement } from "./settlement.js";
import { chainSigner, sending } from "./signer.js";

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** Client of SettlementLedger: anchors a period's statement and reads it back. */
export function createSettlementClient(options: {
  provider: JsonRpcProvider;
  privateKey: string;
  address: string;
  confirmations?: number;
  transactionOverrides?: TransactionOverrides;
}) {
  const artifact = loadArtifact("SettlementLedger");
  const signer = chainSigner(options.provider, options.privateKey);
  const contract = new Contract(options.address, artifact.abi, signer);
  return {
    address: options.address,

    async anchorStatement(statementId: string, statement: SettlementStatement): Promise<AnchorReceipt> {
      if (!isHexString(statement.root, 32))
        throw new LedgerError("invalid_root", "the statement's root is not 32 bytes");
      const tx = await sending(signer, () =>
        contract.getFunction("anchorStatement")(
          toBytes32Id(statementId),
          statement.root,
          `0x${statement.recordsHash}`,
          seconds(statement.periodStart),
          seconds(statement.periodEnd),
          statement.recordCount,
          BigInt(statement.feeTotalFen),
          { ...options.transactionOverrides },
        ),
      );
      const receipt = await receiptOf(options.provider, tx.hash, options.confirmations ?? 1);
      if (!receipt || receipt.status !== 1) throw new LedgerError("anchor_failed", `anchoring ${statementId} failed`);
      return { txHash: receipt.hash, blockNumber: receipt.blockNumber };
    },

    /** The statement as the chain holds it (its root, records hash and totals), or null when never anchored. */
    async getStatement(
      statementId: string,
    ): Promise<{ root: string; recordsHash: string; recordCount: number; feeTotalFen: bigint } | null> {
      try {
        const s = await contract.getFunction("getStatement")(toBytes32Id(statementId));
        return {
          root: String(s.root),
          recordsHash: String(s.recordsHash).slice(2),
          recordCount: Number(s.recordCount),
          feeTotalFen: BigInt(s.feeTotalFen),
        };
      } catch (error) {
        if (
          String((error as Error).message).includes("SettlementUnknownStatement") ||
          (error as { revert?: unknown }).revert
        ) {
          return null;
        }
        throw error;
      }
    },
  };
}

export type SettlementClient = ReturnType<typeof createSettlementClient>;
