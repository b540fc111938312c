import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * Every code a Sluice error may carry, with the HTTP status it is answered with: a closed set, so a
 * new code cannot be thrown without a status (the compiler refuses it). 4xx: the caller's request
 * or state, which the caller can act on; 5xx: the platform's fault, always logged.
 */
export const ERROR_CODES = {
  // The request itself.
  validation_failed: 400,
  malformed_json: 400,
  signature_missing: 401,
  signature_malformed: 401,
  signature_expired: 401,
  digest_mismatch: 401,
  signature_invalid: 401,
  key_unknown: 401,
  key_revoked: 401,
  replayed: 401,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  headers_too_large: 431,
  // Authorisation and limits.
  denied: 403,
  plan_not_approved: 403,
  plan_expired: 403,
  conflict: 409,
  quota_exhausted: 409,
  score_quota_exhausted: 409,
  rate_limited: 429,
  too_many_jobs: 429,
  // Well-formed, but what it asks cannot be done.
  not_executable: 422,
  exceeds_upper_tier: 422,
  query_invalid: 422,
  approval_signature_invalid: 422,
  he_key_invalid: 422,
  ciphertext_invalid: 422,
  dataset_unknown: 404,
  field_unknown: 422,
  field_not_numeric: 422,
  psi_point_invalid: 422,
  psi_bitmap_invalid: 422,
  psi_upload_incomplete: 422,
  psi_chunk_repeated: 409,
  // Between the parties of a job (answered by a node to a peer or to the gateway).
  plan_invalid: 400,
  share_rejected: 401,
  share_conflict: 409,
  inbox_full: 503,
  // The platform's own faults.
  internal: 500,
  he_worker_failed: 500,
  psi_worker_failed: 500,
  ledger_worker_failed: 500,
  data_invalid: 500,
  statement_inconsistent: 500,
  journal_corrupt: 500,
  journal_mismatch: 500,
  artifact_missing: 500,
  deployment_missing: 500,
  deployment_outdated: 500,
  anchor_conflict: 500,
  id_too_long: 500,
  invalid_batch: 500,
  invalid_leaf: 500,
  invalid_root: 500,
  invalid_transaction: 500,
  node_unavailable: 502,
  node_rejected: 502,
  node_timeout: 504,
  anchor_failed: 502,
  chain_rejected: 502,
  chain_response_invalid: 502,
  chain_unavailable: 503,
  unavailable: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}
