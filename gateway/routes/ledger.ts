import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { LedgerError } from "../../ledger/errors.js";
import { proveRecord } from "../../ledger/index.js";
import { ForbiddenError, NotFoundError } from "../../lib/errors.js";
import { parseWith } from "../../lib/validate.js";
import { replayDecision, type StoredDecision } from "../../policies/index.js";
import { decisions, usageRecords } from "../../store/index.js";
import type { GatewayDeps, GatewayEnv } from "../deps.js";
import { describe } from "../openapi/describe.js";
import {
  inclusionProofResponseSchema,
  replayResponseSchema,
  storedDecisionResponseSchema,
  usageRecordResponseSchema,
} from "../openapi/responses.js";
import { listUsageRecords, recordListQuerySchema } from "../services/record-list.js";

/** Regulators (and the operator a record bills) read usage records and prove them against the chain. */
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const chainInfoResponseSchema = z.strictObject({
  chainId: z.number().int(),
  contracts: z.strictObject({
    usageLedger: address,
    settlementLedger: address.nullable(),
    participantRegistry: address.nullable(),
    authorisationRegistry: address.nullable(),
  }),
  rpcUrl: z.string().nullable(),
  gatewayPublicKey: z.string(),
});

export function createLedgerRoutes(deps: GatewayDeps) {
  return new Hono<GatewayEnv>()
    .get(
      "/ledger/records",
      describe({
        summary: "Usage records, newest first, filtered and a page at a time",
        description:
          "Filters combine (all must hold). `next` is the cursor for the following (older) page; pass it as `before`.",
        tag: "ledger",
        roles: ["regulator"],
        query: recordListQuerySchema,
        responses: {
          200: {
            description: "Up to `limit` records, newest first, and the cursor of the next page",
            schema: z.strictObject({ records: z.array(usageRecordResponseSchema), next: z.string().nullable() }),
          },
        },
      }),
      async (c) => {
        const query = parseWith(recordListQuerySchema, c.req.query(), "the query");
        return c.json(await listUsageRecords(deps.db, query));
      },
    )
    .get(
      "/ledger/records/:id/proof",
      describe({
        summary: "Prove a usage record was not altered",
        description:
          "Recomputes its hash, checks the gateway's signature and the Merkle proof (@openzeppelin/merkle-tree format), and reads the root back from the chain.",
        tag: "ledger",
        roles: ["regulator", "operator"],
        responses: { 200: { description: "The proof and each check", schema: inclusionProofResponseSchema } },
      }),
      async (c) => {
        const caller = c.get("participant");
        const [row] = await deps.db
          .select()
          .from(usageRecords)
          .where(eq(usageRecords.id, c.req.param("id")));
        if (!row) throw new NotFoundError("usage record", c.req.param("id"));
        if (caller.role === "operator" && row.record.operatorId !== caller.id) {
          throw new ForbiddenError(`usage record ${row.id} bills another operator`);
        }
        return c.json(await proveRecord(deps.db, deps.ledger, row.id, deps.gatewayKeys.publicKey));
      },
    )
    .get(
      "/ledger/records/:id/replay",
      describe({
        summary: "Replay the policy decision behind a usage record",
        tag: "ledger",
        roles: ["regulator"],
        responses: {
          200: {
            description: "The recorded and replayed decisions and whether they agree",
            schema: replayResponseSchema,
          },
        },
      }),
      async (c) => {
        const [row] = await deps.db
          .select()
          .from(usageRecords)
          .where(eq(usageRecords.id, c.req.param("id")));
        if (!row) throw new NotFoundError("usage record", c.req.param("id"));
        const hash = String(row.record.decisionHash);
        const [stored] = await deps.db.select().from(decisions).where(eq(decisions.hash, hash));
        if (!stored) throw new NotFoundError("decision", hash);
        const replay = replayDecision(stored as unknown as StoredDecision, hash);
        return c.json({
          recordId: row.id,
          decisionHash: hash,
          ...replay,
          request: stored.request,
          recorded: stored.decision,
        });
      },
    )
    .get(
      "/decisions/:hash",
      describe({
        summary: "A stored decision with its exact inputs",
        tag: "ledger",
        roles: ["regulator", "authority"],
        responses: { 200: { description: "The decision", schema: storedDecisionResponseSchema } },
      }),
      async (c) => {
        const [stored] = await deps.db
          .select()
          .from(decisions)
          .where(eq(decisions.hash, c.req.param("hash")));
        if (!stored) throw new NotFoundError("decision", c.req.param("hash"));
        return c.json(stored);
      },
    )
    .get(
      "/ledger/gateway-key",
      describe({
        summary: "The gateway's public key, which signs plans and usage records",
        tag: "ledger",
        responses: {
          200: {
            description: "The key",
            schema: z.strictObject({ publicKey: z.string(), algorithm: z.literal("ed25519") }),
          },
        },
      }),
      (c) => c.json({ publicKey: deps.gatewayKeys.publicKey, algorithm: "ed25519" }),
    )
    .get(
      "/ledger/chain",
      describe({
        summary: "Where the ledger lives: the chain id, the contracts and (where public) a JSON-RPC address",
        description:
          "What a regulator needs to check records and statements against the chain itself (sluice verify --rpc) rather than take the gateway's word.",
        tag: "ledger",
        responses: { 200: { description: "The chain", schema: chainInfoResponseSchema } },
        problems: ["chain_unavailable"],
      }),
      async (c) =>
        c.json({
          chainId: await deps.ledger.chainId().catch((error: unknown) => {
            throw new LedgerError("chain_unavailable", "the chain does not answer", { cause: error });
          }),
          contracts: {
            usageLedger: deps.ledger.address,
            settlementLedger: deps.settlement?.address ?? null,
            participantRegistry: deps.participantRegistry?.address ?? null,
            authorisationRegistry: deps.authorisationRegistry?.address ?? null,
          },
          rpcUrl: deps.publicRpcUrl ?? null,
          gatewayPublicKey: deps.gatewayKeys.publicKey,
        }),
    );
}
