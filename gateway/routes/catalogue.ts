import { asc, eq } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { canonicalHash } from "../../lib/canonical-json.js";
import { ConflictError, ForbiddenError, NotFoundError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { jsonBody } from "../../lib/validate.js";
import { computeNodes, type Db, datasets, datasetVersions, type Participant } from "../../store/index.js";
import type { GatewayDeps, GatewayEnv } from "../deps.js";
import { describe } from "../openapi/describe.js";
import {
  computeNodeResponseSchema,
  datasetResponseSchema,
  datasetVersionResponseSchema,
} from "../openapi/responses.js";

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
    .post(
      "/nodes",
      describe({
        summary: "Register a compute node",
        description:
          "An owner registers its own node; the authority registers helper nodes (kind helper), which hold no data and make the third party of two-owner jobs.",
        tag: "catalogue",
        roles: ["owner", "authority"],
        body: registerNodeSchema,
        responses: { 201: { description: "Registered", schema: computeNodeResponseSchema } },
        problems: ["conflict"],
      }),
      async (c) => {
        const owner = c.get("participant");
        const body = await jsonBody(c, registerNodeSchema);
        if ((body.kind === "helper") !== (owner.role === "authority")) {
          throw new ForbiddenError(
            body.kind === "helper"
              ? "only the authority registers helper nodes"
              : "owners register their own nodes; the authority registers helper nodes",
          );
        }
        const id = body.id ?? newId("node", 8);
        const [clash] = await deps.db.select().from(computeNodes).where(eq(computeNodes.id, id));
        if (clash) throw new ConflictError(`compute node ${id} is already registered`);
        const [keyClash] = await deps.db.select().from(computeNodes).where(eq(computeNodes.publicKey, body.publicKey));
        if (keyClash) throw new ConflictError(`this key is already registered for node ${keyClash.id}`);
        const [row] = await deps.db
          .insert(computeNodes)
          .values({
            id,
            ownerId: owner.id,
            url: body.url,
            publicKey: body.publicKey,
            encryptionKey: body.encryptionKey,
            kind: body.kind,
          })
          .returning();
        return c.json(row, 201);
      },
    )
    .get(
      "/nodes",
      describe({
        summary: "List compute nodes",
        tag: "catalogue",
        responses: {
          200: {
            description: "Every registered node",
            schema: z.strictObject({ nodes: z.array(computeNodeResponseSchema) }),
          },
        },
      }),
      async (c) => c.json({ nodes: await deps.db.select().from(computeNodes) }),
    )
    .post(
      "/datasets",
      describe({
        summary: "Register a dataset (数据资源登记)",
        description: "Fields with their classification level 1–4; the content is hashed and kept as version 1.",
        tag: "catalogue",
        roles: ["owner"],
        body: registerDatasetSchema,
        responses: { 201: { description: "Registered", schema: datasetResponseSchema } },
        problems: ["forbidden", "conflict"],
      }),
      async (c) => {
        const owner = c.get("participant");
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
      },
    )
    .put(
      "/datasets/:id",
      describe({
        summary: "Publish a new version of a dataset's registration",
        description:
          "A changed schema or level is a new version; scenarios using the dataset go back to their owners for approval.",
        tag: "catalogue",
        roles: ["owner"],
        body: updateDatasetSchema,
        responses: {
          200: {
            description: "The dataset and the scenarios that now need re-approval",
            schema: z.strictObject({ dataset: datasetResponseSchema, scenariosNeedingReapproval: z.array(z.string()) }),
          },
        },
        problems: ["forbidden"],
      }),
      async (c) => {
        const owner = c.get("participant");
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
            if (nodeId && nodeId !== current.nodeId)
              await tx.update(datasets).set({ nodeId }).where(eq(datasets.id, id));
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
      },
    )
    .get(
      "/datasets",
      describe({
        summary: "List datasets",
        tag: "catalogue",
        responses: {
          200: {
            description: "Every registered dataset",
            schema: z.strictObject({ datasets: z.array(datasetResponseSchema) }),
          },
        },
      }),
      async (c) => c.json({ datasets: await deps.db.select().from(datasets) }),
    )
    .get(
      "/datasets/:id",
      describe({
        summary: "A dataset",
        tag: "catalogue",
        responses: { 200: { description: "The dataset at its current version", schema: datasetResponseSchema } },
      }),
      async (c) => {
        const [row] = await deps.db
          .select()
          .from(datasets)
          .where(eq(datasets.id, c.req.param("id")));
        if (!row) throw new NotFoundError("dataset", c.req.param("id"));
        return c.json(row);
      },
    )
    .get(
      "/datasets/:id/versions",
      describe({
        summary: "Every version of a dataset's registration",
        tag: "catalogue",
        responses: {
          200: {
            description: "Versions, oldest first",
            schema: z.strictObject({ versions: z.array(datasetVersionResponseSchema) }),
          },
        },
      }),
      async (c) => {
        const rows = await deps.db
          .select()
          .from(datasetVersions)
          .where(eq(datasetVersions.datasetId, c.req.param("id")))
          .orderBy(asc(datasetVersions.version));
        if (rows.length === 0) throw new NotFoundError("dataset", c.req.param("id"));
        return c.json({ versions: rows });
      },
    );
}
