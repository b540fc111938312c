import type { SluiceClient } from "../client.js";
import { type ChainTarget, verifyRecordOnChain, verifyStatementOnChain } from "../verify.js";
import { EXIT, type Helpers, UsageError } from "./handler.js";

type Client = SluiceClient;

interface ChainInfo {
  chainId: number;
  contracts: { usageLedger: string; settlementLedger: string | null };
  gatewayPublicKey: string;
}

const mark = (check: boolean | null) => (check === null ? "n/a" : check ? "yes" : "NO");

/**
 * The chain to read and the gateway key to trust, from the regulator's options: --rpc always theirs;
 * --contract, --chain-id and --gateway-key pin what the gateway's /ledger/chain would otherwise say.
 */
async function target(client: Client, h: Helpers, contract: "usageLedger" | "settlementLedger") {
  const { options } = h.call;
  const published = await client.request<ChainInfo>("GET", "/ledger/chain");
  const chosen = typeof options.contract === "string" ? options.contract : published.contracts[contract];
  if (!chosen) throw new UsageError(`the gateway publishes no ${contract} contract; give --contract <address>`);
  const chainId = typeof options["chain-id"] === "string" ? Number(options["chain-id"]) : published.chainId;
  if (!Number.isSafeInteger(chainId)) throw new UsageError("--chain-id must be a whole number");
  const chain: ChainTarget = { rpcUrl: options.rpc as string, contract: chosen, chainId };
  const gatewayPublicKey =
    typeof options["gateway-key"] === "string" ? options["gateway-key"] : published.gatewayPublicKey;
  const pinned = [
    typeof options.contract === "string" ? "" : "contract",
    typeof options["chain-id"] === "string" ? "" : "chain id",
    typeof options["gateway-key"] === "string" ? "" : "gateway key",
  ].filter(Boolean);
  return { chain, gatewayPublicKey, fromGateway: pinned };
}

const provenance = (fromGateway: string[]) =>
  fromGateway.length
    ? `(${fromGateway.join(", ")} as the gateway publishes them: pin them with --contract, --chain-id, --gateway-key)`
    : "(nothing taken from the gateway but the record and its proof)";

/** `sluice verify <record> --rpc URL`: every check recomputed here, roots and leaves read from that endpoint. */
export async function verifyIndependently(client: Client, h: Helpers): Promise<number> {
  const { chain, gatewayPublicKey, fromGateway } = await target(client, h, "usageLedger");
  const proof = await client.proveRecord(h.arg(0, "a usage record id"));
  const result = await verifyRecordOnChain(proof, { ...chain, gatewayPublicKey });
  h.print({ ...result, chain, gatewayPublicKey }, () =>
    result.status === "pending"
      ? "not anchored yet: try again after the next anchoring run"
      : [
          `${result.verified ? "VERIFIED" : "FAILED"} against ${chain.rpcUrl}, contract ${chain.contract}`,
          ...Object.entries(result.checks).map(([name, check]) => `  ${name.padEnd(22)} ${mark(check)}`),
          provenance(fromGateway),
        ].join("\n"),
  );
  return result.status === "pending" ? EXIT.unavailable : result.verified ? EXIT.ok : EXIT.refused;
}

/** `sluice settlement <id> --rpc URL`: the caller's line checked against the root the chain holds. */
export async function verifyStatementIndependently(client: Client, h: Helpers, statement: unknown): Promise<number> {
  const { chain, fromGateway } = await target(client, h, "settlementLedger");
  const result = await verifyStatementOnChain(statement, chain);
  h.print({ statement, check: result, chain }, () =>
    [
      `${result.verified ? "VERIFIED" : "FAILED"} against ${chain.rpcUrl}, contract ${chain.contract}`,
      ...Object.entries(result.checks).map(([name, check]) => `  ${name.padEnd(22)} ${mark(check)}`),
      `  root on chain          ${result.chainRoot ?? "none"}`,
      provenance(fromGateway.filter((what) => what !== "gateway key")),
    ].join("\n"),
  );
  return result.verified ? EXIT.ok : EXIT.refused;
}
