import type { KeyObject } from "node:crypto";
import type {
  AuthorisationRegistryClient,
  LedgerClient,
  ParticipantRegistryClient,
  SettlementClient,
} from "../ledger/index.js";
import type { Logger } from "../lib/logger.js";
import type { Db, Participant } from "../store/index.js";
import type { AuthState } from "./auth/auth-state.js";
import type { ConsoleOptions } from "./console/env.js";

export interface GatewayKeys {
  privateKey: KeyObject;
  publicKey: string;
}

export interface GatewayLimits {
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** How far a signature's `created` may be from the gateway's clock, in seconds. */
  maxClockSkewSeconds: number;
  /** How long a compute job may run at the nodes, in ms. */
  nodeTimeoutMs: number;
  /** How long a health probe of a node may take, in ms. */
  healthTimeoutMs: number;
  /** Signed requests a participant may make per minute (0: no limit). */
  rateLimitPerMinute: number;
  /** Failed authentications a network address may make per minute before its requests are refused unverified (0: no limit). */
  authFailuresPerMinute: number;
  /** Jobs an operator may have running at once (0: no limit). */
  maxConcurrentJobs: number;
  /** How long a PSI job stays open for the operator's rounds, in ms (at most 25 minutes, inside the stale-job sweep's 30). */
  psiWindowMs: number;
}

export const DEFAULT_LIMITS: GatewayLimits = {
  maxBodyBytes: 1024 * 1024,
  maxClockSkewSeconds: 300,
  nodeTimeoutMs: 30_000,
  healthTimeoutMs: 2_000,
  rateLimitPerMinute: 600,
  authFailuresPerMinute: 120,
  maxConcurrentJobs: 4,
  psiWindowMs: 15 * 60_000,
};

/** Everything the gateway needs, passed in: it reads no environment and opens nothing itself. */
export interface GatewayDeps {
  db: Db;
  pingDatabase: () => Promise<void>;
  ledger: LedgerClient;
  /** Where admissions, key rotations and revocations are anchored; without it they are only stored. */
  participantRegistry?: ParticipantRegistryClient;
  /** Where dataset registrations, grants, scenarios and approvals are anchored; without it they are only stored. */
  authorisationRegistry?: AuthorisationRegistryClient;
  /** Where settlement statements are anchored; without it they are only stored. */
  settlement?: SettlementClient;
  gatewayKeys: GatewayKeys;
  limits?: Partial<GatewayLimits>;
  fetch?: typeof fetch;
  now?: () => Date;
  logger?: Logger;
  /** Cached participant keys and remembered nonces; createApp makes one (without cross-process invalidation) when absent. */
  auth?: AuthState;
  /** How the web console is reached (its public origin behind a proxy). */
  console?: ConsoleOptions;
  /**
   * Other gateway replicas may share this database (PostgreSQL): the rate limits are then counted
   * in it. A gateway alone on its database (the embedded PGlite) counts them in memory. Default false.
   */
  replicated?: boolean;
  /**
   * Whether this replica holds the anchoring lease now. A settlement statement is anchored by the
   * request that creates it only there; elsewhere it is stored and the anchoring replica sends it,
   * so that one replica at a time sends from the chain account. Absent: this gateway anchors.
   */
  anchoringLeader?: () => boolean;
  /**
   * This replica's id, recorded on every job it runs. It holds a liveness lease under that id;
   * when the lease lapses (the replica died) another replica ends its jobs. Absent: jobs carry
   * none and only the 30-minute sweep ends them.
   */
  replicaId?: string;
  /** A JSON-RPC address of the chain that regulators may use themselves, published at /ledger/chain. */
  publicRpcUrl?: string;
}

export interface GatewayEnv {
  Variables: {
    participant: Participant;
    requestId: string;
    /** The most body this request may carry (the route's own limit, or the gateway's). */
    maxBodyBytes: number;
  };
}
