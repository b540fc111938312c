import { and, desc, eq } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { fingerprintOf } from "../../compute/he/keys.js";
import { hePool } from "../../compute/he/pool.js";
import { ConflictError, NotFoundError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { jsonBody } from "../../lib/validate.js";
import { heKeys } from "../../store/index.js";
import type { GatewayDeps, GatewayEnv } from "../deps.js";
import { describe } from "../openapi/describe.js";
import { heKeysResponseSchema } from "../openapi/responses.js";
import { heKeysSchema } from "../schemas.js";

// Keys for n = 8192 run to tens of megabytes when Galois keys come along.
const MAX_HE_KEYS_BODY_BYTES = 80 * 1024 * 1024;

function summary(row: typeof heKeys.$inferSelect) {
  return {
    id: row.id,
    operatorId: row.operatorId,
    paramSet: row.paramSet,
    fingerprint: row.fingerprint,
    sizes: {
      publicKey: row.publicKey.length,
      relinKeys: row.relinKeys?.length ?? 0,
      galoisKeys: row.galoisKeys?.length ?? 0,
    },
    createdAt: row.createdAt,
  };
}

/** Operators register the public half of their homomorphic keys; the secret half never arrives. */
export function createHeKeyRoutes(deps: GatewayDeps) {
  return new Hono<GatewayEnv>()
    .post(
      "/he-keys",
      describe({
        summary: "Register homomorphic public keys",
        description:
          "The public, relinearisation and Galois keys of an operator's BFV or CKKS key set, as SEAL saves them (base64). Each is loaded under its parameter set before it is kept; a body with a secretKey is refused by name. `sluice he-keygen` makes the keys on your machine and `sluice he-register` sends only this.",
        tag: "he",
        roles: ["operator"],
        body: heKeysSchema,
        maxBodyBytes: MAX_HE_KEYS_BODY_BYTES,
        responses: { 201: { description: "Registered", schema: heKeysResponseSchema } },
        problems: ["he_key_invalid", "conflict"],
      }),
      async (c) => {
        const operator = c.get("participant");
        const { paramSet, publicKey, relinKeys, galoisKeys } = await jsonBody(c, heKeysSchema);
        const keys = { paramSet, publicKey, relinKeys, galoisKeys };
        await hePool().validateHePublicKeys(keys);
        const fingerprint = fingerprintOf(keys);
        const [clash] = await deps.db.select({ id: heKeys.id }).from(heKeys).where(eq(heKeys.fingerprint, fingerprint));
        if (clash) throw new ConflictError(`these keys are already registered as ${clash.id}`);
        const [row] = await deps.db
          .insert(heKeys)
          .values({
            id: newId("hek", 8),
            operatorId: operator.id,
            paramSet,
            publicKey,
            relinKeys: relinKeys ?? null,
            galoisKeys: galoisKeys ?? null,
            fingerprint,
          })
          .returning();
        return c.json(summary(row as typeof heKeys.$inferSelect), 201);
      },
    )
    .get(
      "/he-keys",
      describe({
        summary: "My registered homomorphic keys",
        tag: "he",
        roles: ["operator"],
        responses: {
          200: {
            description: "Newest first, without the key material",
            schema: z.strictObject({ keys: z.array(heKeysResponseSchema) }),
          },
        },
      }),
      async (c) => {
        const rows = await deps.db
          .select()
          .from(heKeys)
          .where(eq(heKeys.operatorId, c.get("participant").id))
          .orderBy(desc(heKeys.createdAt));
        return c.json({ keys: rows.map(summary) });
      },
    )
    .get(
      "/he-keys/:id",
      describe({
        summary: "One of my homomorphic key sets, with its public key material",
        tag: "he",
        roles: ["operator"],
        responses: {
          200: {
            description: "The keys as registered",
            schema: heKeysResponseSchema.extend({
              publicKey: z.string(),
              relinKeys: z.string().nullable(),
              galoisKeys: z.string().nullable(),
            }),
          },
        },
      }),
      async (c) => {
        const [row] = await deps.db
          .select()
          .from(heKeys)
          .where(and(eq(heKeys.id, c.req.param("id")), eq(heKeys.operatorId, c.get("participant").id)));
        if (!row) throw new NotFoundError("homomorphic key set of yours", c.req.param("id"));
        return c.json({
          ...summary(row),
          publicKey: row.publicKey,
          relinKeys: row.relinKeys,
          galoisKeys: row.galoisKeys,
        });
      },
    );
}
