import { desc, eq } from "drizzle-orm";
import { Hono } from "hono";
import { proveRecord } from "../../ledger/index.js";
import { ForbiddenError, NotFoundError } from "../../lib/errors.js";
import { replayDecision, type StoredDecision } from "../../policies/index.js";
import { decisions, usageRecords } from "../../store/index.js";
import type { GatewayDeps, GatewayEnv } from "../deps.js";
import { requireRole } from "../middleware/authenticate.js";

/** Regulators (and the operator a record bills) read usage records and prove them against the chain. */
export function createLedgerRoutes(deps: GatewayDeps) {
  return new Hono<GatewayEnv>()
    .get("/ledger/records", async (c) => {
      requireRole(c, "regulator");
      const rows = await deps.db.select().from(usageRecords).orderBy(desc(usageRecords.createdAt)).limit(100);
      return c.json({ records: rows });
    })
    .get("/ledger/records/:id/proof", async (c) => {
      const caller = requireRole(c, "regulator", "operator");
      const [row] = await deps.db
        .select()
        .from(usageRecords)
        .where(eq(usageRecords.id, c.req.param("id")));
      if (!row) throw new NotFoundError("usage record", c.req.param("id"));
      if (caller.role === "operator" && row.record.operatorId !== caller.id) {
        throw new ForbiddenError(`usage record ${row.id} bills another operator`);
      }
      return c.json(await proveRecord(deps.db, deps.ledger, row.id, deps.gatewayKeys.publicKey));
    })
    .get("/ledger/records/:id/replay", async (c) => {
      requireRole(c, "regulator");
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
    })
    .get("/decisions/:hash", async (c) => {
      requireRole(c, "regulator", "authority");
      const [stored] = await deps.db
        .select()
        .from(decisions)
        .where(eq(decisions.hash, c.req.param("hash")));
      if (!stored) throw new NotFoundError("decision", c.req.param("hash"));
      return c.json(stored);
    })
    .get("/ledger/gateway-key", (c) => c.json({ publicKey: deps.gatewayKeys.publicKey, algorithm: "ed25519" }));
}
