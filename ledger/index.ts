/**
 * The measurable, auditable side of Sluice: usage records, the outbox, Merkle anchoring on an EVM
 * chain, and inclusion proofs a regulator can check with public tools.
 *
 * @example
 * const ledger = createLedgerClient({ provider, privateKey, usageLedgerAddress });
 * await anchorPending({ db, ledger });
 * const proof = await proveRecord(db, ledger, recordId, gatewayPublicKey);
 */
export { type AnchorOptions, anchorPending, createAnchorWorker } from "./anchor.js";
export { type AuditFinding, type AuditReport, auditPeriod } from "./audit.js";
export { renderAuditHtml } from "./audit-html.js";
export { createLedgerClient, deployUsageLedger, type LedgerClient, toBytes32Id } from "./client.js";
export { connectContracts, ensureParticipantRegistry, ensureUsageLedger } from "./deployments.js";
export { EMBEDDED_CHAIN_PRIVATE_KEY, type EmbeddedChain, startEmbeddedChain } from "./embedded-chain.js";
export { LedgerError } from "./errors.js";
export { buildFastRecordTree } from "./fast-merkle.js";
export { buildRecordTree, verifyRecordProof } from "./merkle.js";
export { writeUsageRecord } from "./outbox.js";
export {
  anchorParticipantEvents,
  createParticipantRegistryClient,
  type ParticipantRegistryClient,
  participantEventRecord,
  verifyParticipantEvent,
} from "./participant-registry.js";
export { recordsWrittenIn, settlementRecordOf } from "./period-records.js";
export { type InclusionProof, proveRecord } from "./proof.js";
export { CHAIN_PROVIDER_OPTIONS, createChainProvider } from "./provider.js";
export {
  lineProof,
  PLATFORM,
  type ScenarioShares,
  type SettlementRecord,
  type SettlementStatement,
  settle,
  splitFee,
  verifyLine,
} from "./settlement.js";
export { createSettlementClient, type SettlementClient } from "./settlement-client.js";
export {
  type SealedUsageRecord,
  sealUsageRecord,
  USAGE_RECORD_SCHEMA_VERSION,
  type UsageRecord,
  usageRecordSchema,
  verifyUsageRecordSignature,
} from "./usage-record.js";
