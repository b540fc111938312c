/**
 * Privacy computing: owner compute nodes and the protocols they run.
 *
 * @example
 * const cells = await runSecureAggregate(signPlan(plan, gatewayPrivateKeyPem));
 */

export { DEMO_OWNER_SCHEMA, rowsOfDemoCsv, writeDemoOwnerTable } from "./demo/owner-table.js";
export {
  columnsOf,
  DEMO_OWNERS,
  DEMO_REGION,
  type DemoOwner,
  demoApplicants,
  demoCsv,
  demoDatasetRegistration,
} from "./demo/owners.js";
export { writeParquetFromCsv } from "./demo/parquet.js";
export { ComputeError } from "./errors.js";
export { runSecureAggregate, type SecureAggregateOptions } from "./mpc/secure-aggregate.js";
export { type NodeConfig, type NodeConfigFile, nodeConfigSchema } from "./node/config.js";
export { type PinnedPeer, pinnedPeerSchema, pinOfNodeKey } from "./node/peers.js";
export { type ApprovalProof, type QueryPlan, type SignedPlan, signPlan, verifyPlan } from "./protocol.js";
