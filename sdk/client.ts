import { randomBytes } from "node:crypto";
import type { Release } from "../compute/dp/release.js";
import { type HePublicKeys, publicPartOf } from "../compute/he/keys.js";
import type { HeParameterSetId } from "../compute/he/params.js";
import type { EncryptedModel } from "../compute/he/scoring-model.js";
import type { AggregateQuery, Filter } from "../compute/query/schema.js";
import { type SignedRuleContent, scenarioTerms, signApproval, signRule } from "../lib/approvals.js";
import { signRequest } from "../lib/http-signature.js";
import { type KeyFile, readKeyFile } from "../lib/key-file.js";

export interface AutoApprovalRuleInput {
  operatorIds?: string[] | null;
  maxLevel: number;
  computeModes: string[];
  queryShapes: string[];
  minGroupSize: number;
  maxEpsilonPerQuery: number;
}

/** An RFC 9457 problem returned by the gateway. */
/** A scoring job: the model encrypted under your CKKS key set, and the entities you may score. */
export interface ScoringJobRequest {
  jobId?: string;
  scenarioId: string;
  heKeysId: string;
  datasetId: string;
  idField: string;
  features: string[];
  epsilon?: number;
  ids: string[];
  model: EncryptedModel;
}

/**
 * A vertical score: one linear model over features from two or three owners' datasets, its
 * weights in the order of the parts' features one after another (encryptScoringModel with the
 * features in that order).
 */
export interface VerticalScoringJobRequest {
  jobId?: string;
  scenarioId: string;
  heKeysId: string;
  parts: { datasetId: string; idField: string; features: string[] }[];
  epsilon?: number;
  ids: string[];
  model: EncryptedModel;
}

/** What a vertical score returns: the sums of the owners' parts, still encrypted, for the ids every owner holds. */
export interface VerticalScoringResult extends Omit<ScoringResult, "datasetId" | "features"> {
  parts: VerticalScoringJobRequest["parts"];
}

/** PSI's first round: with which owner dataset and id column, and what to learn. */
export interface PsiStartRequest {
  jobId?: string;
  scenarioId: string;
  datasetId: string;
  idField: string;
  idKind?: "uscc" | "text";
  output?: "size" | "membership" | "sum";
  /**
   * A sum: the owner's numeric field, each entity's total clamped to [min, max] in the field's unit,
   * and your X25519 key for this job, which the owner seals your shares to (privateSetIntersection makes one).
   */
  value?: { field: string; min: number; max: number; operatorKey: string };
  /** A size over two owners: the second owner's dataset and id field, and union or intersection. */
  combineWith?: { datasetId: string; idField: string; op: "union" | "intersection" };
  epsilon?: number;
}

/** An owner's set as the start describes it: fetched in pages. */
export interface PsiOwnerSet {
  count: number;
  invalid: number;
  chunks: number;
}

/** A page of points (and, for a sum, your shares beside them). */
export interface PsiPage {
  jobId: string;
  index: number;
  points: string;
  /** A sum: your shares of these entities' totals, sealed to your key for the job. */
  operatorShares?: { ephemeralKey: string; nonce: string; ciphertext: string };
}

/** What a finished PSI job returns. */
export interface PsiJobOutcome {
  jobId: string;
  status: string;
  result: Record<string, unknown> & {
    size: number | null;
    suppressed: boolean;
    answers?: string;
    sum?: number | null;
    noise: Record<string, unknown>;
  };
  usageRecordId: string;
}

/** What a scoring job returns: scores still encrypted for your key, in the order of `ids`. */
export interface ScoringResult {
  queryShape: "he-score";
  datasetId: string;
  features: string[];
  noise: { mechanism: string; epsilon?: number };
  encrypted: {
    keysId: string;
    paramSet: string;
    fingerprint: string;
    scoresPerCiphertext: number;
    outputScale: number;
    ids: string[];
    missing: string[];
    ciphertexts: string[];
  };
}

export class SluiceApiError extends Error {
  readonly status: number;
  readonly problem: { type?: string; title?: string; detail?: string; [key: string]: unknown };

  constructor(status: number, problem: SluiceApiError["problem"]) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.name = "SluiceApiError";
    this.status = status;
    this.problem = problem;
  }
}

export interface ClientOptions {
  url: string;
  /** A key file written by `sluice keygen`, or the key itself. */
  keyFile?: string;
  key?: KeyFile;
  fetch?: typeof fetch;
}

/**
 * A typed client of the Sluice gateway that signs every request (RFC 9421, Ed25519).
 *
 * @example
 * const sluice = createClient({ url: "http://127.0.0.1:8787", keyFile: "bank.key.json" });
 * const job = await sluice.runJob({ scenarioId, queryShape: "sum", fields: ["ds_enterprise_tax.wages_fen", "ds_social_insurance.wages_fen"] });
 */
export function createClient(options: ClientOptions) {
  const key = options.key ?? (options.keyFile ? readKeyFile(options.keyFile) : undefined);
  const fetchApi = options.fetch ?? fetch;
  const base = options.url.replace(/\/$/, "");

  async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${base}${path}`;
    const text = body === undefined ? "" : JSON.stringify(body);
    const headers: Record<string, string> = body === undefined ? {} : { "content-type": "application/json" };
    if (key) {
      Object.assign(
        headers,
        signRequest({
          method,
          url,
          body: text,
          keyId: key.id,
          privateKey: key.privateKeyPem,
          nonce: randomBytes(16).toString("base64url"),
        }),
      );
    }
    const response = await fetchApi(url, { method, headers, body: body === undefined ? undefined : text });
    const raw = await response.text();
    let parsed: unknown = null;
    try {
      parsed = raw ? JSON.parse(raw) : null;
    } catch {
      throw new SluiceApiError(response.status, { detail: `the gateway answered with non-JSON: ${raw.slice(0, 200)}` });
    }
    if (!response.ok && response.status !== 503)
      throw new SluiceApiError(response.status, (parsed ?? {}) as SluiceApiError["problem"]);
    return parsed as T;
  }

  type Json = Record<string, unknown>;
  const requireKey = (what: string) => {
    if (!key) throw new Error(`a key is needed to ${what}`);
    return key;
  };
  type JobRequest = {
    /** Your own id for the job: sending it again returns the same job instead of running a second. */
    jobId?: string;
    scenarioId: string;
    queryShape: string;
    /** The measured field of each dataset, as dataset.field. */
    fields: string[];
    computeMode?: string;
    epsilon?: number;
    /** For computeMode "he": your registered BFV key set (sluice he-register). */
    heKeysId?: string;
    filters?: Filter[];
    groupBy?: { field: string; values: string[] };
    bins?: number[];
    bounds?: { min: number; max: number };
  };
  type JoinRequest = {
    jobId?: string;
    scenarioId: string;
    queryShape: "count" | "sum" | "mean" | "variance" | "histogram";
    /** The datasets joined and each one's key column. */
    on: { datasetId: string; keyField: string }[];
    keyKind?: "uscc" | "text";
    /** The measured field, as dataset.field (not for a count). */
    measure?: string;
    /** Filters on any joined dataset's fields, each field as dataset.field. */
    filters?: Filter[];
    /** A text field of one joined dataset, as dataset.field, and the values to report. */
    groupBy?: { field: string; values: string[] };
    bins?: number[];
    bounds?: { min: number; max: number };
    /** The most rows a key may have at each owner (default 1). */
    maxRowsPerKey?: number;
    /** Your own list of entities: the join keeps only those (your applicants ∩ every joined dataset). */
    operatorIds?: string[];
    epsilon?: number;
  };
  return {
    request,
    keyId: key?.id,
    health: () => request<Json & { status: string; down: string[] }>("GET", "/health"),
    admitParticipant: (input: { id?: string; name: string; role: string; publicKey: string; sector?: string }) =>
      request<Json & { id: string }>("POST", "/participants", input),
    registerNode: (input: {
      id?: string;
      url: string;
      publicKey: string;
      encryptionKey: string;
      kind?: "owner" | "helper";
    }) => request<Json & { id: string }>("POST", "/nodes", input),
    registerDataset: (input: Json) => request<Json & { id: string; contentHash: string }>("POST", "/datasets", input),
    grant: (input: Json) => request<Json & { id: string; tier: string }>("POST", "/grants", input),
    proposeScenario: (input: Json) => request<Json & { id: string; status: string }>("POST", "/scenarios", input),
    listScenarios: () =>
      request<{ scenarios: (Json & { id: string; status: string; purpose: string })[] }>("GET", "/scenarios"),
    getScenario: (id: string) =>
      request<Json & { id: string; status: string }>("GET", `/scenarios/${encodeURIComponent(id)}`),
    /** Approving signs the scenario's terms with the owner's key, so the owner's nodes can hold every plan to them. */
    decideScenario: async (id: string, input: { decision: "approve" | "reject"; reason?: string }) => {
      const path = `/scenarios/${encodeURIComponent(id)}`;
      if (input.decision === "reject")
        return request<Json & { id: string; status: string }>("POST", `${path}/decisions`, input);
      const signer = requireKey("approve a scenario");
      const scenario = await request<Parameters<typeof scenarioTerms>[0]>("GET", path);
      const signature = signApproval(signer.id, scenarioTerms(scenario), signer.privateKeyPem);
      return request<Json & { id: string; status: string }>("POST", `${path}/decisions`, { ...input, signature });
    },
    updateDataset: (id: string, input: Json) =>
      request<{ dataset: Json & { version: number }; scenariosNeedingReapproval: string[] }>(
        "PUT",
        `/datasets/${encodeURIComponent(id)}`,
        input,
      ),
    changeGrant: (id: string, action: "suspend" | "resume" | "revoke", reason: string) =>
      request<Json & { id: string; status: string }>("POST", `/grants/${encodeURIComponent(id)}/${action}`, { reason }),
    changeScenario: (id: string, action: "suspend" | "resume" | "revoke", reason: string) =>
      request<Json & { id: string; status: string }>("POST", `/scenarios/${encodeURIComponent(id)}/${action}`, {
        reason,
      }),
    addAutoApprovalRule: (input: AutoApprovalRuleInput) => {
      const signer = requireKey("add an auto-approval rule");
      const content = {
        ownerId: signer.id,
        operatorIds: input.operatorIds ?? null,
        maxLevel: input.maxLevel,
        computeModes: input.computeModes,
        queryShapes: input.queryShapes,
        minGroupSize: input.minGroupSize,
        maxEpsilonPerQueryMicro: Math.round(input.maxEpsilonPerQuery * 1_000_000),
      } as SignedRuleContent;
      const signature = signRule(content, signer.privateKeyPem);
      return request<Json & { id: string }>("POST", "/auto-approval-rules", {
        ...input,
        operatorIds: content.operatorIds,
        signature,
      });
    },
    explainJob: (input: JobRequest) =>
      request<{ allowed: boolean; executable: boolean; decision: Json & { effect: string }; decisionHash: string }>(
        "POST",
        "/jobs/explain",
        input,
      ),
    runJob: (input: JobRequest) =>
      request<{
        jobId: string;
        status: string;
        result: Release & {
          query: AggregateQuery;
          minGroupSize: number;
          classification: Json;
          noise: Json & { mechanism: string; epsilon: number };
          /** Under computeMode he: the total, encrypted for your key (decryptJobResult opens it). */
          encrypted?: { paramSet: HeParameterSetId; ciphertext: string; valueScale: number; fingerprint?: string };
        };
        usageRecordId: string;
        decisionHash: string;
      }>("POST", "/jobs", input),
    /** A joined aggregate across departments on the entity key (compute/README.md, Joined aggregates). */
    runJoin: (input: JoinRequest) =>
      request<{
        jobId: string;
        status: string;
        result: Release & {
          query: AggregateQuery;
          join: {
            on: { datasetId: string; keyField: string }[];
            keyKind: string;
            maxRowsPerKey: number;
            restrictedTo?: string;
          };
          fields: string[];
          minGroupSize: number;
          classification: Json;
          noise: Json & { mechanism: string; epsilon: number };
        };
        usageRecordId: string;
        decisionHash: string;
      }>("POST", "/jobs/joins", input as unknown as Json),
    /** The same written as SQL (POST /jobs/sql); `structured` is the joined query it stood for. */
    runSql: (input: {
      jobId?: string;
      scenarioId: string;
      sql: string;
      bounds?: { min: number; max: number };
      keyKind?: "uscc" | "text";
      maxRowsPerKey?: number;
      operatorIds?: string[];
      epsilon?: number;
    }) =>
      request<{
        jobId: string;
        status: string;
        result: Release & {
          query: AggregateQuery;
          fields: string[];
          noise: Json & { mechanism: string; epsilon: number };
        };
        usageRecordId: string;
        structured: Omit<JoinRequest, "jobId"> & Json;
      }>("POST", "/jobs/sql", input as unknown as Json),
    /** Scores entities with a model encrypted on your machine (encryptScoringModel); decryptScoringResult opens the scores. */
    scoreRecords: (input: ScoringJobRequest) =>
      request<{
        jobId: string;
        status: string;
        result: ScoringResult & Json;
        usageRecordId: string;
        decisionHash: string;
      }>("POST", "/jobs/scores", input as unknown as Json),
    /** Scores entities with one model over several owners' features; decryptScoringResult opens the sums. */
    scoreVertically: (input: VerticalScoringJobRequest) =>
      request<{
        jobId: string;
        status: string;
        result: VerticalScoringResult & Json;
        usageRecordId: string;
        decisionHash: string;
      }>("POST", "/jobs/vertical-scores", input as unknown as Json),
    /** PSI's start; privateSetIntersection (sdk/psi.ts) drives every step. */
    startPsi: (input: PsiStartRequest) =>
      request<{
        jobId: string;
        status: string;
        expiresAt: string;
        chunkSize: number;
        ownerSet: PsiOwnerSet | null;
        secondOwnerSet?: PsiOwnerSet;
        result?: Json;
        usageRecordId?: string;
      }>("POST", "/jobs/psi", input as unknown as Json),
    cancelPsi: (jobId: string) =>
      request<
        | { jobId: string; status: "failed"; error: string; ownerSessionEnded: boolean }
        | { jobId: string; status: "succeeded"; charged: true; usageRecordId: string; ownerSessionEnded: boolean }
      >("DELETE", `/jobs/psi/${encodeURIComponent(jobId)}`),
    /** Page `index` of owner `owner`'s set (0, or 1 for the second owner). */
    psiPage: (jobId: string, owner: number, index: number) =>
      request<PsiPage>("GET", `/jobs/psi/${encodeURIComponent(jobId)}/owners/${owner}/pages/${index}`),
    /** A chunk of your points H(x)^a; for membership the reply carries them raised by the owner. */
    sendPsiPoints: (jobId: string, chunk: { index: number; points: string }) =>
      request<{ jobId: string; index: number; count: number; answers?: string }>(
        "POST",
        `/jobs/psi/${encodeURIComponent(jobId)}/points`,
        chunk,
      ),
    /** A chunk of owner `owner`'s points raised by you, sorted (a size). */
    sendPsiRaisedPoints: (jobId: string, owner: number, chunk: { index: number; points: string }) =>
      request<{ jobId: string; index: number; count: number }>(
        "POST",
        `/jobs/psi/${encodeURIComponent(jobId)}/owners/${owner}/raised-points`,
        chunk,
      ),
    /** Finishes a size or membership; for a sum, says how many pages of answers to fetch (status running). */
    answerPsi: (jobId: string, input: { operatorChunks: number; operatorCount: number }) =>
      request<PsiJobOutcome & { answerChunks?: number }>(
        "POST",
        `/jobs/psi/${encodeURIComponent(jobId)}/answer`,
        input,
      ),
    /** Page `index` of a sum's answers: your points raised by the owner, sorted. */
    psiAnswerPage: (jobId: string, index: number) =>
      request<PsiPage>("GET", `/jobs/psi/${encodeURIComponent(jobId)}/answers/${index}`),
    /** A sum's release: which of the owner's entities matched (bitmap, base64) and your shares summed over them. */
    releasePsiSum: (jobId: string, input: { matched: string; operatorPartial: string }) =>
      request<PsiJobOutcome>("POST", `/jobs/psi/${encodeURIComponent(jobId)}/sum`, input),
    reviewJob: (id: string, input: { decision: "release" | "withhold"; reason?: string }) =>
      request<{ jobId: string; status: string; usageRecordId?: string }>(
        "POST",
        `/jobs/${encodeURIComponent(id)}/reviews`,
        input,
      ),
    replayDecision: (recordId: string) =>
      request<Json & { verified: boolean; hashMatches: boolean; rulesPublished: boolean; decisionReproduced: boolean }>(
        "GET",
        `/ledger/records/${encodeURIComponent(recordId)}/replay`,
      ),
    /** Your jobs, newest first, without their results (a regulator: every operator's). */
    listJobs: (query: { status?: string; scenarioId?: string; limit?: number } = {}) => {
      const search = new URLSearchParams(
        Object.entries(query).flatMap(([k, v]): [string, string][] => (v === undefined ? [] : [[k, String(v)]])),
      ).toString();
      return request<{
        jobs: {
          id: string;
          scenarioId: string;
          operatorId: string;
          query: { computeMode: string; queryShape: string; fields: string[]; epsilon: number };
          status: string;
          error: string | null;
          createdAt: string;
          finishedAt: string | null;
        }[];
      }>("GET", `/jobs${search ? `?${search}` : ""}`);
    },
    getJob: (id: string) => request<Json & { id: string; status: string }>("GET", `/jobs/${encodeURIComponent(id)}`),
    /** Sends only the public keys, picked field by field: a secret key in the object stays behind. */
    registerHeKeys: (keys: HePublicKeys) =>
      request<{ id: string; paramSet: string; fingerprint: string; sizes: Record<string, number> }>(
        "POST",
        "/he-keys",
        publicPartOf(keys) as unknown as Json,
      ),
    listHeKeys: () => request<{ keys: { id: string; paramSet: string; fingerprint: string }[] }>("GET", "/he-keys"),
    proveRecord: (id: string) =>
      request<
        Json & {
          status: "pending" | "anchored";
          verified: boolean;
          checks: Record<string, boolean | null>;
          anchor?: Json;
        }
      >("GET", `/ledger/records/${encodeURIComponent(id)}/proof`),
  };
}

export type SluiceClient = ReturnType<typeof createClient>;
