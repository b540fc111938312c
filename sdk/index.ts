/**
 * The operator SDK: a signed, typed client of the gateway, and key files.
 *
 * @example
 * const sluice = createClient({ url: "http://127.0.0.1:8787", keyFile: "bank.key.json" });
 */

export { createKeyFile, type KeyFile, keyFileSchema, readKeyFile, writeKeyFile } from "../lib/key-file.js";
export {
  type ClientOptions,
  createClient,
  type PsiStartRequest,
  type ScoringJobRequest,
  type ScoringResult,
  SluiceApiError,
  type SluiceClient,
  type VerticalScoringJobRequest,
  type VerticalScoringResult,
} from "./client.js";
export {
  decryptJobResult,
  decryptScoringResult,
  type EncryptedModel,
  encryptScoringModel,
  generateHeKeys,
  HE_PARAMETER_SETS,
  type HeKeyFile,
  type HeParameterSetId,
  type HePublicKeys,
  plainScore,
  publicPartOf,
  readHeKeyFile,
  type ScoringModel,
  writeHeKeyFile,
} from "./he.js";
export { type PsiOutcome, privateSetIntersection } from "./psi.js";
export {
  type ChainTarget,
  type IndependentRecordCheck,
  type IndependentStatementCheck,
  verifyRecordOnChain,
  verifyStatementOnChain,
} from "./verify.js";
