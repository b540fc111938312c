import type { Provider, TransactionReceipt } from "ethers";
import { LedgerError } from "./errors.js";

/** How long a sent transaction may take to be mined and confirmed before the send counts as failed. */
const RECEIPT_TIMEOUT_MS = 120_000;
const POLL_MS = 100;

/**
 * The transaction's receipt once it has `confirmations`, asked of the chain until then. ethers'
 * own wait listens for new blocks and takes the first block it sees as its start, so a chain that
 * mines the transaction between the send and that first look (anvil does, a chain that makes no
 * empty blocks does) leaves it waiting for a block that never comes.
 */
export async function receiptOf(
  provider: Provider,
  txHash: string,
  confirmations = 1,
  timeoutMs = RECEIPT_TIMEOUT_MS,
): Promise<TransactionReceipt> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const receipt = await provider.getTransactionReceipt(txHash);
    if (receipt && (confirmations <= 1 || (await receipt.confirmations()) >= confirmations)) return receipt;
    if (Date.now() >= deadline) {
      throw new LedgerError(
        "anchor_failed",
        `transaction ${txHash} has no receipt with ${confirmations} confirmation(s) after ${timeoutMs / 1000} s`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
