import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { Wallet } from "ethers";
import { z } from "zod";
import { createLedgerClient } from "../ledger/client.js";
import { LEAF_ENCODING, toLeafValue } from "../ledger/merkle.js";
import { createChainProvider } from "../ledger/provider.js";
import { verifyLine } from "../ledger/settlement.js";
import { createSettlementClient } from "../ledger/settlement-client.js";
import { verifyUsageRecordSignature } from "../ledger/usage-record.js";
import { canonicalHash } from "../lib/canonical-json.js";
import { ValidationError } from "../lib/errors.js";
import { parseWith } from "../lib/validate.js";

/**
 * A regulator's own checks of what the gateway hands over: every hash, signature and Merkle proof
 * recomputed here, and every root and leaf read from a JSON-RPC endpoint the regulator names. The
 * gateway supplies the record and its proof; it is trusted for nothing.
 */
export interface ChainTarget {
  /** The chain's JSON-RPC address, the regulator's own choice. */
  rpcUrl: string;
  /** The contract to read (the gateway publishes its addresses at /ledger/chain; pin them). */
  contract: string;
  /** The chain id the regulator expects; the endpoint's own is checked against it when given. */
  chainId?: number;
}

const hex = (bytes: number) => new RegExp(`^(0x)?[0-9a-fA-F]{${bytes * 2}}$`);

const recordProofSchema = z.object({
  recordId: z.string(),
  record: z.record(z.string(), z.unknown()),
  recordHash: z.string().regex(hex(32)),
  gatewaySignature: z.string(),
  status: z.enum(["pending", "anchored"]),
  anchor: z
    .object({
      batchId: z.string(),
      leafIndex: z.number().int().min(0),
      proof: z.array(z.string().regex(hex(32))),
      root: z.string().regex(hex(32)),
    })
    .optional(),
});
export type RecordProofInput = z.input<typeof recordProofSchema>;

export interface IndependentRecordCheck {
  recordId: string;
  checks: {
    /** SHA-256 of the record's RFC 8785 bytes is the hash it came with. */
    recordHashMatches: boolean;
    /** The gateway's Ed25519 signature over the record verifies under the key the regulator gave. */
    gatewaySignatureValid: boolean;
    /** The endpoint is the chain the regulator expects (null when no chain id was given). */
    chainIdMatches: boolean | null;
    /** The Merkle proof leads from the recomputed hash to the root it came with. */
    proofValid: boolean | null;
    /** The chain holds that root for the record's batch. */
    rootOnChain: boolean | null;
    /** The chain's own copy of the batch's leaves holds the recomputed hash at the record's position. */
    leafOnChain: boolean | null;
  };
  status: "pending" | "anchored";
  verified: boolean;
}

async function chainIdCheck(provider: ReturnType<typeof createChainProvider>, expected?: number) {
  if (expected === undefined) return null;
  return Number((await provider.getNetwork()).chainId) === expected;
}

/** Checks a usage record's proof (as GET /ledger/records/:id/proof returns it) against the chain itself. */
export async function verifyRecordOnChain(
  proofInput: unknown,
  options: ChainTarget & { gatewayPublicKey: string },
): Promise<IndependentRecordCheck> {
  const proof = parseWith(recordProofSchema, proofInput, "the record's proof");
  const recomputed = canonicalHash(proof.record);
  const recordHashMatches = recomputed === proof.recordHash.replace(/^0x/, "").toLowerCase();
  const gatewaySignatureValid = verifyUsageRecordSignature(
    proof.record,
    proof.gatewaySignature,
    options.gatewayPublicKey,
  );
  const provider = createChainProvider(options.rpcUrl);
  try {
    const chainIdMatches = await chainIdCheck(provider, options.chainId);
    const base = { recordId: proof.recordId, status: proof.status };
    if (proof.status === "pending" || !proof.anchor) {
      const checks = {
        recordHashMatches,
        gatewaySignatureValid,
        chainIdMatches,
        proofValid: null,
        rootOnChain: null,
        leafOnChain: null,
      };
      return { ...base, status: "pending", checks, verified: false };
    }
    const { anchor } = proof;
    const proofValid = StandardMerkleTree.verify(
      anchor.root,
      [...LEAF_ENCODING],
      toLeafValue(recomputed),
      anchor.proof,
    );
    // Reads only: the key signs nothing.
    const ledger = createLedgerClient({
      provider,
      privateKey: Wallet.createRandom().privateKey,
      usageLedgerAddress: options.contract,
    });
    const onChain = await ledger.getBatch(anchor.batchId);
    const rootOnChain = onChain !== null && onChain.root.toLowerCase() === anchor.root.toLowerCase();
    const leaves = onChain ? await ledger.readBatchLeaves(anchor.batchId, onChain) : null;
    const leafOnChain = leaves !== null && leaves[anchor.leafIndex] === recomputed;
    const checks = { recordHashMatches, gatewaySignatureValid, chainIdMatches, proofValid, rootOnChain, leafOnChain };
    return {
      ...base,
      checks,
      verified: Object.values(checks).every((check) => check !== false),
    };
  } finally {
    provider.destroy();
  }
}

const statementSchema = z.object({
  id: z.string(),
  lines: z.array(z.object({ payeeId: z.string(), amountFen: z.number().int() })),
  proof: z
    .array(z.string().regex(hex(32)))
    .nullable()
    .optional(),
});

export interface IndependentStatementCheck {
  statementId: string;
  checks: {
    chainIdMatches: boolean | null;
    /** The chain holds a statement under this id. */
    anchored: boolean;
    /** The caller's line (its payee and amount) is in the tree whose root the chain holds. */
    lineOnChain: boolean | null;
  };
  /** The root the chain holds, for the record. */
  chainRoot: string | null;
  verified: boolean;
}

/**
 * Checks an owner's line of a settlement statement (as GET /settlements/:id returns it to the owner,
 * with its Merkle proof) against the root SettlementLedger holds, read from the regulator's endpoint.
 */
export async function verifyStatementOnChain(
  statementInput: unknown,
  options: ChainTarget,
): Promise<IndependentStatementCheck> {
  const statement = parseWith(statementSchema, statementInput, "the settlement statement");
  const provider = createChainProvider(options.rpcUrl);
  try {
    const chainIdMatches = await chainIdCheck(provider, options.chainId);
    const settlement = createSettlementClient({
      provider,
      privateKey: Wallet.createRandom().privateKey,
      address: options.contract,
    });
    const onChain = await settlement.getStatement(statement.id);
    const line = statement.proof ? statement.lines[0] : undefined;
    if (statement.proof && !line) throw new ValidationError("the statement carries a proof but no line");
    const lineOnChain = onChain && line && statement.proof ? verifyLine(onChain.root, line, statement.proof) : null;
    const checks = { chainIdMatches, anchored: onChain !== null, lineOnChain };
    return {
      statementId: statement.id,
      checks,
      chainRoot: onChain?.root ?? null,
      verified: Object.values(checks).every((check) => check !== false),
    };
  } finally {
    provider.destroy();
  }
}
