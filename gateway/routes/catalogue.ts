import { asc, eq } from "drizzle-orm";
import { Hono } from "hono";
import { canonicalHash } from "../../lib/canonical-json.js";
import { ConflictError, ForbiddenError, NotFoundError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { jsonBody } from "../../lib/validate.js";
import { computeNodes, type Db, datasets, datasetVersions, type Participant } from "../../store/index.js";
import type { GatewayDeps, GatewayEnv } from "../deps.js";
import { requireRole } from "../middleware/authenticate.js";
import { registerDatasetSchema, registerNodeSchema, updateDatasetSchema } from "../schemas.js";
import { recordEvent } from "../services/events.js";
import { requireReapproval } from "../services/scenarios.js";

async function ownNode(db: Db, owner: Participant, nodeId: string) {
  const [node] = await db.select().from(computeNodes).where(eq(computeNodes.id, nodeId));
  if (!node) throw new NotFoundError("compute node", nodeId);
  if (node.ownerId !== owner.id)
    throw new ForbiddenError(`compute node ${node.id} belongs to ${node.ownerId}, not ${owner.id}`);
  return node;
}

/** Owners register their compute nodes and their datasets (数据资源登记) with a level per field. */
export function createCatalogueRoutes(deps: GatewayDeps) {
  return new Hono<GatewayEnv>()
    .post("/nodes", async (c) => {
      const owner = requireRole(c, "owner");
      const body = await jsonBody(c, registerNodeSchema);
      const id = body.id ?? newId("node", 8);
      const [clash] = await deps.db.select().from(computeNodes).where(eq(computeNodes.id, id));
      if (clash) throw new ConflictError(`compute node ${id} is already registered`);
      const [keyClash] = await deps.db.select().from(computeNodes).where(eq(computeNodes.publicKey, body.publicKey));
      if (keyClash) throw new ConflictError(`this key is already registered for node ${keyClash.id}`);
      const [row] = await deps.db
        .insert(computeNodes)
        .values({ id, ownerId: owner.id, url: body.url, publicKey: body.publicKey })
        .returning();
      return c.json(row, 201);
    })
    .get("/nodes", async (c) => c.json({ nodes: await deps.db.select().from(computeNodes) }))
    .post("/datasets", async (c) => {
      const owner = requireRole(c, "owner");
      const input = await jsonBody(c, registerDatasetSchema);
      await ownNode(deps.db, owner, input.nodeId);
      const id = input.id ?? newId("ds", 8);
      const [clash] = await deps.db.select({ id: datasets.id }).from(datasets).where(eq(datasets.id, id));
      if (clash) throw new ConflictError(`dataset ${id} is already registered`);
      const { id: _id, nodeId, ...content } = input;
      const contentHash = canonicalHash(content);
      const row = await deps.db.transaction(async (tx) => {
        const [created] = await tx
          .insert(datasets)
          .values({ ...content, id, nodeId, ownerId: owner.id, contentHash })
          .returning();
        await tx.insert(datasetVersions).values({ datasetId: id, version: 1, content, contentHash });
        await recordEvent(tx, {
          subjectType: "dataset",
          subjectId: id,
          actorId: owner.id,
          action: "registered",
          details: { version: 1, contentHash },
        });
        return created;
      });
      return c.json(row, 201);
    })
    .put("/datasets/:id", async (c) => {
      const owner = requireRole(c, "owner");
      const input = await jsonBody(c, updateDatasetSchema);
      const id = c.req.param("id");
      const { nodeId, ...content } = input;
      if (nodeId) await ownNode(deps.db, owner, nodeId);
      const contentHash = canonicalHash(content);
      const result = await deps.db.transaction(async (tx) => {
        const [current] = await tx.select().from(datasets).where(eq(datasets.id, id)).for("update");
        if (!current) throw new NotFoundError("dataset", id);
        if (current.ownerId !== owner.id) throw new ForbiddenError(`dataset ${id} belongs to ${current.ownerId}`);
        if (current.contentHash === contentHash) {
          if (nodeId && nodeId !== current.nodeId) await tx.update(datasets).set({ nodeId }).where(eq(datasets.id, id));
          return {
            dataset: { ...current, nodeId: nodeId ?? current.nodeId },
            scenariosNeedingReapproval: [] as string[],
          };
        }
        const version = current.version + 1;
        const [updated] = await tx
          .update(datasets)
          .set({ ...content, nodeId: nodeId ?? current.nodeId, version, contentHash, updatedAt: new Date() })
          .where(eq(datasets.id, id))
          .returning();
        await tx.insert(datasetVersions).values({ datasetId: id, version, content, contentHash });
        await recordEvent(tx, {
          subjectType: "dataset",
          subjectId: id,
          actorId: owner.id,
          action: "new-version",
          details: { version, contentHash },
        });
        const scenariosNeedingReapproval = await requireReapproval(tx, id, owner.id, version);
        return { dataset: updated, scenariosNeedingReapproval };
      });
      return c.json(result);
    })
    .get("/datasets", async (c) => c.json({ datasets: await deps.db.select().from(datasets) }))
    .get("/datasets/:id", async (c) => {
      const [row] = await deps.db
        .select()
        .from(datasets)
        .where(eq(datasets.id, c.req.param("id")));
      if (!row) throw new NotFoundError("dataset", c.req.param("id"));
      return c.json(row);
    })
    .get("/datasets/:id/versions", async (c) => {
      const rows = await deps.db
        .select()
        .from(datasetVersions)
        .where(eq(datasetVersions.datasetId, c.req.param("id")))
        .orderBy(asc(datasetVersions.version));
      if (rows.length === 0) throw new NotFoundError("dataset", c.req.param("id"));
      return c.json({ versions: rows });
    });
}
