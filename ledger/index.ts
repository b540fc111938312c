/**
 * The measurable, auditable side of Sluice: usage records, the outbox, Merkle anchoring on an EVM
 * chain, and inclusion proofs a regulator can check with public tools.
 *
 * @example
 * const ledger = createLedgerClient({ provider, privateKey, usageLedgerAddress });
 * await anchorPending({ db, ledger });
 * const proof = await proveRecord(db, ledger, recordId, gatewayPublicKey);
 */

export { type AnchorOptions, type AnchorStep, anchorBacklog, anchorPending } from "./anchor.js";
export { type AnchorWorkerOptions, createAnchorWorker, nextDelayMs } from "./anchor-worker.js";
export {
  type AssetRecord,
  createAssetAccountAccumulator,
  type DatasetAccount,
  DEFAULT_INCOME_APPROACH,
  type IncomeApproach,
  incomeApproachValueFen,
  revenueByOwner,
} from "./asset-accounts.js";
export { type AuditDeps, type AuditFinding, type AuditReport, auditPeriod, FINDING_KINDS } from "./audit.js";
export { AUDIT_FINDING_LABELS, renderAuditHtml } from "./audit-html.js";
export {
  type AuthorisationRegistryClient,
  anchorAuthorisationEvents,
  authorisationEventRecord,
  createAuthorisationRegistryClient,
  registryEntryOf,
  SUBJECT_KINDS,
  type SubjectKind,
  verifyAuthorisationEvent,
} from "./authorisation-registry.js";
export { createLedgerClient, deployUsageLedger, type LedgerClient, toBytes32Id } from "./client.js";
export { connectContracts, ensureParticipantRegistry, ensureUsageLedger } from "./deployments.js";
export { EMBEDDED_CHAIN_PRIVATE_KEY, type EmbeddedChain, startEmbeddedChain } from "./embedded-chain.js";
export { LedgerError } from "./errors.js";
export { buildFastRecordTree } from "./fast-merkle.js";
export { ANCHORING_LEASE, createLeaderLease, type LeaderLease } from "./leader-lease.js";
export { closeLedgerPool, LedgerPool, ledgerPool } from "./ledger-pool.js";
export { buildRecordTree, verifyRecordProof } from "./merkle.js";
export { writeUsageRecord } from "./outbox.js";
export {
  anchorParticipantEvents,
  createParticipantRegistryClient,
  type ParticipantRegistryClient,
  participantEventRecord,
  verifyParticipantEvent,
} from "./participant-registry.js";
export { recordPagesWrittenIn, settlementRecordOf } from "./period-records.js";
export { type InclusionProof, proveRecord } from "./proof.js";
export {
  CHAIN_PROVIDER_OPTIONS,
  createChainProvider,
  type TransactionOverrides,
  transactionOverrides,
} from "./provider.js";
export {
  createSettlementAccumulator,
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
export { anchorPendingStatements, anchorStoredStatement } from "./statement-anchor.js";
export {
  type SealedUsageRecord,
  sealUsageRecord,
  USAGE_RECORD_SCHEMA_VERSION,
  type UsageRecord,
  usageRecordSchema,
  verifyUsageRecordSignature,
} from "./usage-record.js";
