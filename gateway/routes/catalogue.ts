import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { canonicalHash } from "../../lib/canonical-json.js";
import { ConflictError, ForbiddenError, NotFoundError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { jsonBody } from "../../lib/validate.js";
import { computeNodes, datasets } from "../../store/index.js";
import type { GatewayDeps, GatewayEnv } from "../deps.js";
import { requireRole } from "../middleware/authenticate.js";
import { registerDatasetSchema, registerNodeSchema } from "../schemas.js";

/** Owners register their compute nodes and their datasets (数据资源登记) with a level per field. */
export function createCatalogueRoutes(deps: GatewayDeps) {
  return new Hono<GatewayEnv>()
    .post("/nodes", async (c) => {
      const owner = requireRole(c, "owner");
      const input = await jsonBody(c, registerNodeSchema);
      const id = input.id ?? newId("node", 8);
      const [clash] = await deps.db.select().from(computeNodes).where(eq(computeNodes.id, id));
      if (clash) throw new ConflictError(`compute node ${id} is already registered`);
      const [keyClash] = await deps.db.select().from(computeNodes).where(eq(computeNodes.publicKey, input.publicKey));
      if (keyClash) throw new ConflictError(`this key is already registered for node ${keyClash.id}`);
      const [row] = await deps.db
        .insert(computeNodes)
        .values({ id, ownerId: owner.id, url: input.url, publicKey: input.publicKey })
        .returning();
      return c.json(row, 201);
    })
    .get("/nodes", async (c) => c.json({ nodes: await deps.db.select().from(computeNodes) }))
    .post("/datasets", async (c) => {
      const owner = requireRole(c, "owner");
      const input = await jsonBody(c, registerDatasetSchema);
      const [node] = await deps.db.select().from(computeNodes).where(eq(computeNodes.id, input.nodeId));
      if (!node) throw new NotFoundError("compute node", input.nodeId);
      if (node.ownerId !== owner.id)
        throw new ForbiddenError(`compute node ${node.id} belongs to ${node.ownerId}, not ${owner.id}`);
      const id = input.id ?? newId("ds", 8);
      const [clash] = await deps.db.select({ id: datasets.id }).from(datasets).where(eq(datasets.id, id));
      if (clash) throw new ConflictError(`dataset ${id} is already registered`);
      const { id: _ignored, ...content } = input;
      const [row] = await deps.db
        .insert(datasets)
        .values({ ...content, id, ownerId: owner.id, contentHash: canonicalHash(content) })
        .returning();
      return c.json(row, 201);
    })
    .get("/datasets", async (c) => c.json({ datasets: await deps.db.select().from(datasets) }))
    .get("/datasets/:id", async (c) => {
      const [row] = await deps.db
        .select()
        .from(datasets)
        .where(eq(datasets.id, c.req.param("id")));
      if (!row) throw new NotFoundError("dataset", c.req.param("id"));
      return c.json(row);
    });
}
