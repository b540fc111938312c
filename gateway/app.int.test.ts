import { randomBytes, sign } from "node:crypto";
import { count, eq } from "drizzle-orm";
import { httpbis } from "http-message-signatures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anchorParticipantEvents } from "../ledger/index.js";
import { contentDigest, signRequest } from "../lib/http-signature.js";
import { createKeyFile, type KeyFile } from "../lib/key-file.js";
import type { SluiceApiError } from "../sdk/index.js";
import { authorisationEvents, computeNodes, grants, participants } from "../store/index.js";
import { testDatabases } from "../test/support/databases.js";
import { startTestGateway, type TestGateway, YEAR_WINDOW } from "../test/support/gateway.js";
import { createApp } from "./app.js";

interface SendOptions {
  method?: string;
  path: string;
  body?: string;
  key?: KeyFile;
  keyId?: string;
  created?: number;
  contentType?: string;
  tamper?: (headers: Record<string, string>) => void;
  signedPath?: string;
  signedBody?: string;
}

const refused = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error("expected a refusal");
    },
    (error: unknown) => error as SluiceApiError,
  );

describe.each(testDatabases())("the gateway on $name", ({ open }) => {
  let gw: TestGateway;
  const operator = createKeyFile("bank_one");
  const owner = createKeyFile("owner_one");
  const regulatorOfLimits = createKeyFile("limited_regulator");

  async function send(options: SendOptions) {
    const method = options.method ?? "POST";
    const key = options.key ?? gw.authority;
    const headers: Record<string, string> = { "content-type": options.contentType ?? "application/json" };
    Object.assign(
      headers,
      signRequest({
        method,
        url: `http://gateway.test${options.signedPath ?? options.path}`,
        body: options.signedBody ?? options.body ?? "",
        keyId: options.keyId ?? key.id,
        privateKey: key.privateKeyPem,
        nonce: randomBytes(12).toString("base64url"),
        created: options.created,
      }),
    );
    options.tamper?.(headers);
    const response = await gw.app.request(`http://gateway.test${options.path}`, {
      method,
      headers,
      body: method === "GET" ? undefined : (options.body ?? ""),
    });
    return {
      status: response.status,
      type: response.headers.get("content-type"),
      body: (await response.json()) as Record<string, unknown>,
    };
  }

  /** Signature headers for `GET /participants` by `key` (under another key id when given), with a fresh nonce. */
  const signedList = (key: KeyFile, keyId = key.id) =>
    signRequest({
      method: "GET",
      url: "http://gateway.test/participants",
      keyId,
      privateKey: key.privateKeyPem,
      nonce: randomBytes(12).toString("base64url"),
    });

  beforeAll(async () => {
    gw = await startTestGateway(await open());
    const authority = gw.client();
    await authority.admitParticipant({
      id: operator.id,
      name: "Bank One",
      role: "operator",
      publicKey: operator.publicKey,
    });
    await authority.admitParticipant({ id: owner.id, name: "Owner One", role: "owner", publicKey: owner.publicKey });
  });
  afterAll(async () => {
    await gw?.stop();
    await gw?.database.close();
  });

  describe("refuses requests that are not properly signed", () => {
    const admit = () => JSON.stringify({ name: "X", role: "regulator", publicKey: createKeyFile("x").publicKey });
    it.each<[string, () => SendOptions, string, RegExp]>([
      [
        "a missing signature",
        () => ({
          path: "/participants",
          body: admit(),
          tamper: (h) => {
            delete h["signature-input"];
            delete h.signature;
          },
        }),
        "signature-missing",
        /not signed/,
      ],
      [
        "a missing Signature header beside its Signature-Input",
        () => ({
          path: "/participants",
          body: admit(),
          tamper: (h) => {
            delete h.signature;
          },
        }),
        "signature-missing",
        /Signature header is missing/,
      ],
      [
        "an unknown key id",
        () => ({ path: "/participants", body: admit(), keyId: "nobody" }),
        "key-unknown",
        /no participant nobody/,
      ],
      [
        "a signature made with the wrong key",
        () => ({ path: "/participants", body: admit(), keyId: "authority", key: operator }),
        "signature-invalid",
        /does not verify/,
      ],
      [
        "an altered body",
        () => ({ path: "/participants", body: admit(), signedBody: admit() }),
        "digest-mismatch",
        /Content-Digest/,
      ],
      [
        "a missing Content-Digest",
        () => ({
          path: "/participants",
          body: admit(),
          tamper: (h) => {
            delete h["content-digest"];
          },
        }),
        "digest-mismatch",
        /Content-Digest is missing/,
      ],
      [
        "an altered path",
        () => ({ path: "/participants", body: admit(), signedPath: "/grants" }),
        "signature-invalid",
        /does not verify/,
      ],
      [
        "an altered query",
        () => ({ method: "GET", path: "/grants?operatorId=bank_one", signedPath: "/grants?operatorId=other" }),
        "signature-invalid",
        /does not verify/,
      ],
      [
        "a signature from long ago",
        () => ({ path: "/participants", body: admit(), created: Math.floor(Date.now() / 1000) - 3_600 }),
        "signature-expired",
        /at most 300 s/,
      ],
      [
        "a signature from the future",
        () => ({ path: "/participants", body: admit(), created: Math.floor(Date.now() / 1000) + 3_600 }),
        "signature-expired",
        /at most 300 s/,
      ],
      [
        "a garbled Signature header",
        () => ({
          path: "/participants",
          body: admit(),
          tamper: (h) => {
            h.signature = "sluice=:!!!:";
          },
        }),
        "signature-malformed",
        /Signature is not a structured-field dictionary/,
      ],
      [
        "a Signature-Input covering other components",
        () => ({
          path: "/participants",
          body: admit(),
          tamper: (h) => {
            h["signature-input"] = 'sluice=("@method");created=1;keyid="authority";nonce="abcdefgh";alg="ed25519"';
          },
        }),
        "signature-malformed",
        /sluice covers no "@path", "@query", "content-digest"/,
      ],
    ])("refuses %s with its own 401 problem type", async (_name, options, type, detail) => {
      const before = await gw.database.db.select({ n: count() }).from(participants);
      const response = await send(options());
      expect(response.status).toBe(401);
      expect(response.type).toBe("application/problem+json");
      expect(response.body).toMatchObject({ type: `https://sluice.dev/problems/${type}`, status: 401 });
      expect(String(response.body.detail)).toMatch(detail);
      expect(await gw.database.db.select({ n: count() }).from(participants)).toEqual(before);
    });

    it("accepts a request signed by an independent RFC 9421 client under its own label, covering more", async () => {
      const url = "http://gateway.test/participants";
      const nonce = randomBytes(12).toString("base64url");
      const signedRequest = await httpbis.signMessage(
        {
          key: { id: operator.id, alg: "ed25519", sign: async (data) => sign(null, data, operator.privateKeyPem) },
          name: "client-1",
          fields: ["@authority", "@method", "@query", "@path", "content-digest"],
          params: ["keyid", "nonce", "created", "expires"],
          paramValues: { nonce, expires: new Date(Date.now() + 60_000) },
        },
        { method: "GET", url, headers: { "content-digest": contentDigest("") } },
      );
      const headers = signedRequest.headers as Record<string, string>;
      const response = await gw.app.request(url, { headers });
      expect(response.status).toBe(200);
      const listed = (await response.json()) as { participants: { id: string }[] };
      expect(listed.participants.map((p) => p.id)).toContain(operator.id);
      const elsewhere = await gw.app.request(url.replace("gateway.test", "other.test"), { headers });
      expect(elsewhere.status).toBe(401);
      expect(await elsewhere.json()).toMatchObject({ type: "https://sluice.dev/problems/signature-invalid" });
    });

    it("refuses a replayed request, even one that succeeded the first time", async () => {
      const headers = signedList(operator);
      expect((await gw.app.request("http://gateway.test/participants", { headers })).status).toBe(200);
      const replay = await gw.app.request("http://gateway.test/participants", { headers });
      expect(replay.status).toBe(401);
      expect(await replay.json()).toMatchObject({ type: "https://sluice.dev/problems/replayed" });
    });

    it("refuses at once a request replayed to a second replica on the same database", async () => {
      // A second gateway on the same database, with its own memory of participants and nonces.
      const replica = createApp({ ...gw.deps, auth: undefined });
      const headers = signedList(operator);
      expect((await gw.app.request("http://gateway.test/participants", { headers })).status).toBe(200);
      const replay = await replica.request("http://gateway.test/participants", { headers });
      expect(replay.status).toBe(401);
      expect(await replay.json()).toMatchObject({ type: "https://sluice.dev/problems/replayed" });
    });

    it("refuses a rotated-out key at once, naming it as revoked, and accepts the new one", async () => {
      const holder = createKeyFile("rotating_regulator");
      await gw
        .client()
        .admitParticipant({ id: holder.id, name: "Rotating", role: "regulator", publicKey: holder.publicKey });
      const next = createKeyFile(holder.id);
      const rotated = await gw
        .client(holder)
        .request<{ publicKey: string }>("POST", `/participants/${holder.id}/keys`, { publicKey: next.publicKey });
      expect(rotated.publicKey).toBe(next.publicKey);
      const old = await send({ method: "GET", path: "/participants", key: holder });
      expect([old.status, old.body.type]).toEqual([401, "https://sluice.dev/problems/key-revoked"]);
      expect(old.body.detail).toMatch(/was rotated at/);
      expect((await send({ method: "GET", path: "/participants", key: next })).status).toBe(200);
      const reuse = await send({
        path: `/participants/${holder.id}/keys`,
        key: next,
        body: JSON.stringify({ publicKey: holder.publicKey }),
      });
      expect([reuse.status, reuse.body.detail]).toEqual([409, expect.stringMatching(/never reused/)]);
      const other = await send({
        path: `/participants/${holder.id}/keys`,
        key: operator,
        body: JSON.stringify({ publicKey: createKeyFile("z").publicKey }),
      });
      expect(other.status).toBe(403);
      const { keys } = await gw
        .client(next)
        .request<{ keys: { status: string }[] }>("GET", `/participants/${holder.id}/keys`);
      expect(keys.map((k) => k.status)).toEqual(["rotated", "active"]);
    });

    it("refuses an unsigned HEAD, which Hono would answer with the GET handler", async () => {
      const response = await gw.app.request("/participants", { method: "HEAD" });
      expect(response.status).toBe(401);
    });

    it("anchors every admission, key rotation and revocation on chain, and shows one altered afterwards", async () => {
      const subject = createKeyFile("anchored_regulator");
      await gw
        .client()
        .admitParticipant({ id: subject.id, name: "Anchored", role: "regulator", publicKey: subject.publicKey });
      const next = createKeyFile(subject.id);
      await gw.client(subject).request("POST", `/participants/${subject.id}/keys`, { publicKey: next.publicKey });
      await gw.client().request("POST", `/participants/${subject.id}/revoke`, { reason: "left the programme" });
      const registry = gw.deps.participantRegistry!;
      expect(await anchorParticipantEvents(gw.database.db, registry)).toBeGreaterThanOrEqual(3);
      expect(await anchorParticipantEvents(gw.database.db, registry)).toBe(0);

      type Listed = { events: { id: string; action: string; anchor: { anchored: boolean; verified: boolean } }[] };
      const listed = await gw.client().request<Listed>("GET", `/participants/${subject.id}/events`);
      expect(listed.events.map((e) => [e.action, e.anchor.anchored, e.anchor.verified])).toEqual([
        ["admitted", true, true],
        ["key-rotated", true, true],
        ["revoked", true, true],
      ]);
      await gw.database.db
        .update(authorisationEvents)
        .set({ reason: "nothing to see" })
        .where(eq(authorisationEvents.id, listed.events[2]!.id));
      const after = await gw.client().request<Listed>("GET", `/participants/${subject.id}/events`);
      expect(after.events.map((e) => e.anchor.verified)).toEqual([true, true, false]);
      expect((await refused(gw.client(operator).request("GET", `/participants/${subject.id}/events`))).status).toBe(
        403,
      );
    });

    it("refuses a revoked participant at once", async () => {
      const revoked = createKeyFile("soon_revoked");
      await gw
        .client()
        .admitParticipant({ id: revoked.id, name: "Soon revoked", role: "regulator", publicKey: revoked.publicKey });
      expect((await send({ method: "GET", path: "/participants", key: revoked })).status).toBe(200);
      const revocation = await send({
        path: `/participants/${revoked.id}/revoke`,
        body: JSON.stringify({ reason: "key leaked" }),
      });
      expect(revocation.status).toBe(200);
      const response = await send({ method: "GET", path: "/participants", key: revoked });
      expect([response.status, response.body.type]).toEqual([401, "https://sluice.dev/problems/key-revoked"]);
    });

    it("refuses a participant over its rate limit with 429 and Retry-After", async () => {
      const strict = createApp({ ...gw.deps, limits: { rateLimitPerMinute: 2 } });
      const call = () => {
        return strict.request("http://gateway.test/participants", { headers: signedList(operator) });
      };
      expect((await call()).status).toBe(200);
      expect((await call()).status).toBe(200);
      const limited = await call();
      expect(limited.status).toBe(429);
      // The minute's window opened with the first request: the wait is what is left of it.
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(50);
      expect(Number(limited.headers.get("retry-after"))).toBeLessThanOrEqual(60);
      expect(await limited.json()).toMatchObject({ type: "https://sluice.dev/problems/rate-limited" });
    });

    it("counts the rate limit across replicas on one database: requests spread over two still meet one limit", async () => {
      const [first, second] = [1, 2].map(() =>
        createApp({ ...gw.deps, replicated: true, limits: { rateLimitPerMinute: 3 } }),
      ) as [ReturnType<typeof createApp>, ReturnType<typeof createApp>];
      const call = (replica: ReturnType<typeof createApp>) => {
        return replica.request("http://gateway.test/participants", { headers: signedList(regulatorOfLimits) });
      };
      await gw.client().admitParticipant({
        id: regulatorOfLimits.id,
        name: "Rate-limited regulator",
        role: "regulator",
        publicKey: regulatorOfLimits.publicKey,
      });
      const statuses = [];
      for (const replica of [first, second, first, second]) statuses.push((await call(replica)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect((await call(first)).status).toBe(429);
    });

    it("refuses an address whose requests keep failing authentication before verifying any more of them", async () => {
      const strict = createApp({ ...gw.deps, limits: { authFailuresPerMinute: 3 } });
      const call = (headers: Record<string, string>) => strict.request("http://gateway.test/participants", { headers });
      expect((await call(signedList(operator))).status).toBe(200); // verified requests never count
      expect((await call({})).status).toBe(401);
      expect((await call(signedList(operator, "nobody_known"))).status).toBe(401);
      expect((await call(signedList(owner, operator.id))).status).toBe(401); // another key's signature
      const limited = await call(signedList(operator));
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(await limited.json()).toMatchObject({
        type: "https://sluice.dev/problems/rate-limited",
        detail: expect.stringMatching(/3 requests from local failed authentication this minute/),
      });
      // Another gateway app (another replica) counts its own failures.
      expect((await gw.app.request("http://gateway.test/participants", { headers: signedList(operator) })).status).toBe(
        200,
      );
    });

    it("refuses a participant acting outside its role with 403", async () => {
      const response = await send({ path: "/participants", key: operator, body: admit() });
      expect(response.status).toBe(403);
      expect(response.body.detail).toMatch(/needs the role authority; bank_one is operator/);
    });
  });

  describe("answers bad input with a problem that says what was wrong", () => {
    it("names every invalid field", async () => {
      const response = await send({
        path: "/participants",
        body: JSON.stringify({ name: "", role: "king", publicKey: "short" }),
      });
      expect(response.status).toBe(400);
      const paths = (response.body.errors as { path: string }[]).map((e) => e.path);
      expect(paths).toEqual(expect.arrayContaining(["name", "role", "publicKey"]));
    });

    it("refuses malformed JSON without writing anything", async () => {
      const before = await gw.database.db.select({ n: count() }).from(participants);
      const response = await send({ path: "/participants", body: '{"name": "half' });
      expect([response.status, response.body.type]).toEqual([400, "https://sluice.dev/problems/malformed-json"]);
      expect(await gw.database.db.select({ n: count() }).from(participants)).toEqual(before);
    });

    it("refuses a body that is not JSON with 415", async () => {
      const response = await send({
        path: "/participants",
        body: "name=x",
        contentType: "application/x-www-form-urlencoded",
      });
      expect(response.status).toBe(415);
    });

    it("refuses a body over the size limit with 413", async () => {
      const response = await send({ path: "/participants", body: JSON.stringify({ name: "x".repeat(1_100_000) }) });
      expect(response.status).toBe(413);
      expect(response.type).toBe("application/problem+json");
    });

    it("answers headers over 16 KiB with a problem+json 431, over real HTTP", async () => {
      const url = await gw.listen();
      const response = await fetch(`${url}/health`, { headers: { "x-padding": "x".repeat(20_000) } });
      expect([response.status, response.headers.get("content-type")]).toEqual([431, "application/problem+json"]);
      expect(await response.json()).toMatchObject({
        type: "https://sluice.dev/problems/headers-too-large",
        status: 431,
        detail: expect.stringMatching(/16 KiB/),
      });
      expect((await fetch(`${url}/health`)).status).toBe(200);
    });

    it("answers an unknown route with 404 and a wrong method with 405 and Allow", async () => {
      const missing = await gw.app.request("/nothing-here");
      expect([missing.status, missing.headers.get("content-type")]).toEqual([404, "application/problem+json"]);
      const wrong = await gw.app.request("/health", { method: "DELETE" });
      expect([wrong.status, wrong.headers.get("allow")]).toEqual([405, "GET"]);
      const wrongWithParam = await send({ method: "DELETE", path: "/scenarios/sc_1" });
      expect(wrongWithParam.status).toBe(405);
    });

    it("refuses a second admission of the same key with 409", async () => {
      const response = await send({
        path: "/participants",
        body: JSON.stringify({ name: "Again", role: "operator", publicKey: operator.publicKey }),
      });
      expect(response.status).toBe(409);
      expect(response.body.detail).toMatch(/already admitted as bank_one/);
    });

    it("refuses a rejection without a reason", async () => {
      const response = await send({
        path: "/scenarios/sc_x/decisions",
        key: owner,
        body: JSON.stringify({ decision: "reject" }),
      });
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([{ path: "reason", message: "a rejection needs a reason" }]);
    });
  });

  describe("keeps each tier inside the one above", () => {
    it("refuses a sector grant wider than the comprehensive one, naming the excess", async () => {
      const dept = createKeyFile("dept_tax_one");
      await gw
        .client()
        .admitParticipant({ id: dept.id, name: "Tax dept", role: "sector", sector: "tax", publicKey: dept.publicKey });
      const grant = {
        operatorId: operator.id,
        regions: ["330100"],
        sectors: ["tax"],
        computeModes: ["mpc"],
        maxLevel: 2,
        ...YEAR_WINDOW,
      };
      const none = await send({ path: "/grants", key: dept, body: JSON.stringify(grant) });
      expect([none.status, none.body.detail]).toEqual([422, expect.stringMatching(/no active comprehensive/)]);

      await gw.client().grant({ ...grant, sectors: ["tax", "health"] });
      const wider = await send({
        path: "/grants",
        key: dept,
        body: JSON.stringify({ ...grant, regions: ["330100", "110000"], maxLevel: 3, computeModes: ["mpc", "psi"] }),
      });
      expect(wider.status).toBe(422);
      expect(wider.body.details).toMatchObject({ excess: ["regions 110000", "compute modes psi", "level 3 above 2"] });

      const otherSector = await send({
        path: "/grants",
        key: dept,
        body: JSON.stringify({ ...grant, sectors: ["health"] }),
      });
      expect(otherSector.status).toBe(403);
      const fine = await send({ path: "/grants", key: dept, body: JSON.stringify(grant) });
      expect(fine.status).toBe(201);
      expect(await gw.database.db.select({ n: count() }).from(grants)).toEqual([{ n: 2 }]);
    });
  });

  describe("health", () => {
    it("answers 200 when all is up and 503 naming a node that is down", async () => {
      expect((await gw.app.request("/health")).status).toBe(200);
      await gw.database.db.insert(computeNodes).values({
        id: "node_dead",
        ownerId: owner.id,
        url: "http://127.0.0.1:9",
        publicKey: createKeyFile("n").publicKey,
      });
      const response = await gw.app.request("/health");
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({
        status: "unavailable",
        down: ["node:node_dead"],
        database: { ok: true },
        chain: { ok: true },
      });
      await gw.database.db.delete(computeNodes).where(eq(computeNodes.id, "node_dead"));
    });
  });
});
