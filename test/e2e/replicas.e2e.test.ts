import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { eq, isNull } from "drizzle-orm";
import type { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PsiPool } from "../../compute/psi/pool.js";
import { DEMO_OPERATOR_ID } from "../../gateway/demo.js";
import { freeLoopbackPort } from "../../gateway/node-processes.js";
import { EMBEDDED_CHAIN_PRIVATE_KEY, type EmbeddedChain, startEmbeddedChain } from "../../ledger/index.js";
import { signRequest } from "../../lib/http-signature.js";
import { createKeyFile, readKeyFile } from "../../lib/key-file.js";
import { createClient, privateSetIntersection } from "../../sdk/index.js";
import {
  authorisationEvents,
  computeNodes,
  type Database,
  jobs,
  leases,
  openPsiJobs,
  usageRecords,
} from "../../store/index.js";
import { consoleVisitor } from "../support/console.js";
import { openFreshPostgres } from "../support/databases.js";
import { TAX } from "../support/demo-rows.js";
import { startKillSwitchProxy } from "../support/kill-switch-proxy.js";
import { waitFor } from "../support/wait-for.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const serverUrl = process.env.TEST_DATABASE_URL;

interface Replica {
  port: number;
  url: string;
  child: ChildProcess;
  output: string[];
}

/** Three gateway processes on one PostgreSQL and one chain, behind HAProxy running deploy/haproxy.cfg. */
describe.runIf(serverUrl)("gateway replicas behind a round-robin proxy (real processes, PostgreSQL, HAProxy)", () => {
  let database: Database & { url: string };
  let chain: EmbeddedChain;
  let dataDir: string;
  let proxy: ChildProcess;
  let proxyUrl: string;
  const replicas: Replica[] = [];

  async function startReplica(port: number, env: Record<string, string>): Promise<Replica> {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "gateway/server.ts")], {
      cwd: root,
      env: { ...process.env, ...env, PORT: String(port), HOST: "127.0.0.1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const output: string[] = [];
    child.stdout?.on("data", (b: Buffer) => output.push(b.toString()));
    child.stderr?.on("data", (b: Buffer) => output.push(b.toString()));
    const url = `http://127.0.0.1:${port}`;
    await waitFor(
      () =>
        fetch(`${url}/health`).then(
          (r) => r.status,
          () => 0,
        ),
      (status) => status === 200 || child.exitCode !== null,
      300,
    );
    if (child.exitCode !== null) throw new Error(`replica on ${port} exited: ${output.join("")}`);
    return { port, url, child, output };
  }

  beforeAll(async () => {
    database = await openFreshPostgres(serverUrl as string);
    dataDir = mkdtempSync(path.join(tmpdir(), "sluice-replicas-"));
    chain = await startEmbeddedChain({ dataDir: path.join(dataDir, "chain") });
    const proxyPort = await freeLoopbackPort();
    proxyUrl = `http://127.0.0.1:${proxyPort}`;
    const env = {
      DATABASE_URL: database.url,
      CHAIN_RPC_URL: chain.rpcUrl,
      SLUICE_CHAIN_PRIVATE_KEY: EMBEDDED_CHAIN_PRIVATE_KEY,
      SLUICE_DATA_DIR: path.join(dataDir, "gateway"),
      SLUICE_DEMO: "0",
      SLUICE_PUBLIC_ORIGIN: proxyUrl,
      SLUICE_ANCHOR_INTERVAL_MS: "200",
      SLUICE_ANCHOR_LEASE_MS: "1500",
      SLUICE_LOG_LEVEL: "warn",
    };
    const ports = await Promise.all([1, 2, 3].map(() => freeLoopbackPort()));
    // The first creates the keys in the shared folder and starts the demo's owner nodes (seeding
    // the demo into the database); the other two start together on that database.
    replicas.push(await startReplica(ports[0] as number, { ...env, SLUICE_DEMO: "1" }));
    replicas.push(...(await Promise.all(ports.slice(1).map((p) => startReplica(p, env)))));
    proxy = spawn("haproxy", ["-f", path.join(root, "deploy/haproxy.cfg"), "-db"], {
      env: {
        ...process.env,
        SLUICE_PROXY_BIND: `127.0.0.1:${proxyPort}`,
        SLUICE_REPLICA_1: `127.0.0.1:${ports[0]}`,
        SLUICE_REPLICA_2: `127.0.0.1:${ports[1]}`,
        SLUICE_REPLICA_3: `127.0.0.1:${ports[2]}`,
      },
      stdio: "ignore",
    });
    await waitFor(
      () =>
        fetch(`${proxyUrl}/health`).then(
          (r) => r.status,
          () => 0,
        ),
      (status) => status === 200,
      100,
    );
  }, 180_000);

  afterAll(async () => {
    proxy?.kill("SIGKILL");
    const running = replicas.filter((r) => r.child.exitCode === null && r.child.signalCode === null);
    const exited = running.map((r) => new Promise((resolve) => r.child.once("exit", resolve)));
    for (const r of running) r.child.kill("SIGTERM");
    await Promise.all(exited);
    // The demo's nodes outlive a replica killed with SIGKILL; they are found by their data folder.
    spawnSync("pkill", ["-f", path.join(dataDir, "gateway", "nodes")]);
    await chain?.stop();
    await database?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  const authorityKey = () => readKeyFile(path.join(dataDir, "gateway", "keys", "authority.key.json"));

  it("refuses a signed request replayed to every other replica, and through the proxy", async () => {
    const key = authorityKey();
    const headers = signRequest({
      method: "GET",
      url: `${proxyUrl}/participants`,
      keyId: key.id,
      privateKey: key.privateKeyPem,
      nonce: randomBytes(12).toString("base64url"),
    });
    const first = await fetch(`${proxyUrl}/participants`, { headers });
    expect(first.status).toBe(200);
    for (const target of [proxyUrl, ...replicas.map((r) => r.url)]) {
      // Signed for the proxy's address: each replica sees the same authority the signature covers.
      const replay = await fetch(`${target}/participants`, { headers: { ...headers, host: new URL(proxyUrl).host } });
      expect(replay.status, target).toBe(401);
      expect(await replay.json()).toMatchObject({ type: "https://sluice.dev/problems/replayed" });
    }
  });

  it("keeps a console session whichever replica the proxy sends each page to", async () => {
    const regulator = createKeyFile("replica_regulator");
    await createClient({ url: proxyUrl, key: authorityKey() }).admitParticipant({
      id: regulator.id,
      name: "Auditor across replicas",
      role: "regulator",
      publicKey: regulator.publicKey,
    });
    const overHttp = {
      request: (input: string, init?: RequestInit) => fetch(input, { ...init, redirect: "manual" }),
    } as unknown as Pick<Hono, "request">;
    const visitor = consoleVisitor(overHttp, proxyUrl);
    // The sign-in page comes from one replica, the signed challenge reaches the next.
    expect((await visitor.signIn(regulator)).status).toBe(303);
    for (let page = 0; page < 6; page++) {
      const seen = await visitor.get("/console/ledger");
      expect(seen.status, seen.html.slice(0, 200)).toBe(200);
    }
    // And straight at each replica, bypassing the proxy.
    for (const r of replicas) {
      const response = await fetch(`${r.url}/console/ledger`, {
        headers: { cookie: [...visitor.jar].map(([k, v]) => `${k}=${v}`).join("; ") },
        redirect: "manual",
      });
      expect(response.status, r.url).toBe(200);
    }
  });

  it("runs a PSI job and a joined job whose requests the proxy spreads over the replicas, each metered once", async () => {
    const bank = createClient({
      url: proxyUrl,
      keyFile: path.join(dataDir, "gateway", "keys", `${DEMO_OPERATOR_ID}.key.json`),
    });
    const { scenarios } = await bank.listScenarios();
    const scenarioOf = (mode: string) =>
      scenarios.find((s) => (s.computeModes as string[]).includes(mode))?.id as string;
    const applicants = readFileSync(path.join(dataDir, "gateway", "applicants.txt"), "utf8")
      .split("\n")
      .filter((l) => /^[0-9A-Z]{18}$/.test(l));
    const pool = new PsiPool(1);
    try {
      // Start, pages, chunks and answer: each request the next replica's, round robin.
      const size = await privateSetIntersection(
        bank,
        { scenarioId: scenarioOf("psi"), datasetId: "ds_enterprise_tax", idField: "uscc", ids: applicants, epsilon: 1 },
        { pool },
      );
      // 200 of the demo's 250 applicants pay tax; the size carries noise of scale 1/ε.
      expect(Math.abs((size.size ?? 0) - 200)).toBeLessThan(40);
      const joined = await bank.runJoin({
        scenarioId: scenarioOf("join"),
        queryShape: "count",
        on: [
          { datasetId: "ds_enterprise_tax", keyField: "uscc" },
          { datasetId: "ds_social_insurance", keyField: "uscc" },
        ],
      });
      expect(joined.status).toBe("succeeded");
      for (const jobId of [size.jobId, joined.jobId]) {
        const [job] = await database.db.select().from(jobs).where(eq(jobs.id, jobId));
        expect(job?.status).toBe("succeeded");
        expect(await database.db.select().from(usageRecords).where(eq(usageRecords.jobId, jobId))).toHaveLength(1);
      }
      expect(await database.db.select().from(openPsiJobs)).toEqual([]);
    } finally {
      await pool.close();
    }
  });

  it("ends a job whose replica is killed mid-job: another replica fails it within seconds, nothing charged", async () => {
    const { db } = database;
    const [lease] = await db.select().from(leases).where(eq(leases.name, "anchoring"));
    // A replica that is neither the anchoring leader nor the demo nodes' parent.
    const victim = replicas
      .slice(1)
      .find((r) => r.child.exitCode === null && String(r.child.pid) !== lease?.holder.split("/")[1]) as Replica;
    const bank = createClient({
      url: victim.url,
      keyFile: path.join(dataDir, "gateway", "keys", `${DEMO_OPERATOR_ID}.key.json`),
    });
    const scenarioId = (await bank.listScenarios()).scenarios.find((s) => (s.computeModes as string[]).includes("join"))
      ?.id as string;
    const before = await bank.getScenario(scenarioId);
    const taxNode = `node_${TAX.owner}`;
    const [tax] = await db.select().from(computeNodes).where(eq(computeNodes.id, taxNode));
    const proxy = await startKillSwitchProxy(() => tax?.url as string);
    await db.update(computeNodes).set({ url: proxy.url }).where(eq(computeNodes.id, taxNode));
    let letGo = () => {};
    const held = new Promise<void>((resolve) => {
      letGo = resolve;
    });
    let arrived = () => {};
    const atNode = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    try {
      // The plan is held on its way to the tax bureau's node, and the replica running the job dies.
      proxy.arm(async () => {
        arrived();
        await held;
      }, "/joins");
      const run = bank
        .runJoin({
          scenarioId,
          queryShape: "count",
          on: [
            { datasetId: "ds_enterprise_tax", keyField: "uscc" },
            { datasetId: "ds_social_insurance", keyField: "uscc" },
          ],
        })
        .catch((error: unknown) => error);
      await atNode;
      const gone = new Promise((resolve) => victim.child.once("exit", resolve));
      victim.child.kill("SIGKILL");
      await gone;
      expect(await run).toBeInstanceOf(Error);
      const running = await db.select().from(jobs).where(eq(jobs.status, "running"));
      const orphan = running.find((j) => j.replicaId?.split("/")[1] === String(victim.child.pid));
      expect(orphan, JSON.stringify(running)).toBeDefined();
      // The others see its liveness lease lapse, and one of them ends the job.
      const ended = await waitFor(
        async () =>
          (
            await db
              .select()
              .from(jobs)
              .where(eq(jobs.id, orphan?.id as string))
          )[0],
        (job) => job?.status !== "running",
        300,
      );
      expect(ended).toMatchObject({ status: "failed", error: expect.stringMatching(/replica/) });
      expect(
        await db
          .select()
          .from(usageRecords)
          .where(eq(usageRecords.jobId, orphan?.id as string)),
      ).toEqual([]);
      const after = await createClient({
        url: proxyUrl,
        keyFile: path.join(dataDir, "gateway", "keys", `${DEMO_OPERATOR_ID}.key.json`),
      }).getScenario(scenarioId);
      expect([after.queriesUsed, after.epsilonSpentMicro]).toEqual([before.queriesUsed, before.epsilonSpentMicro]);
    } finally {
      letGo();
      await db
        .update(computeNodes)
        .set({ url: tax?.url as string })
        .where(eq(computeNodes.id, taxNode));
      await proxy.close();
    }
  });

  it("anchors with one leader; when it is killed, a standby takes over and every event is anchored once", async () => {
    const client = createClient({ url: proxyUrl, key: authorityKey() });
    const admit = (n: number) =>
      Promise.all(
        Array.from({ length: n }, (_, i) =>
          client.admitParticipant({
            name: `Regulator ${i}`,
            role: "regulator",
            publicKey: createKeyFile(`r_${randomBytes(4).toString("hex")}`).publicKey,
          }),
        ),
      );
    const unanchored = () =>
      database.db.select().from(authorisationEvents).where(isNull(authorisationEvents.anchorTxHash));
    await admit(5);
    await waitFor(unanchored, (left) => left.length === 0, 200);
    const [lease] = await database.db.select().from(leases).where(eq(leases.name, "anchoring"));
    const leaderPid = Number(lease?.holder.split("/")[1]);
    const leader = replicas.find((r) => r.child.pid === leaderPid);
    expect(leader, `lease holder ${lease?.holder}`).toBeDefined();
    const gone = new Promise((resolve) => leader?.child.once("exit", resolve));
    leader?.child.kill("SIGKILL");
    await gone;
    // The proxy's health check drops the dead replica; the requests go on to the others.
    await admit(5);
    await waitFor(unanchored, (left) => left.length === 0, 300);
    const [after] = await database.db.select().from(leases).where(eq(leases.name, "anchoring"));
    expect(after?.holder).not.toBe(lease?.holder);
    const events = await database.db.select().from(authorisationEvents);
    expect(events.length).toBeGreaterThanOrEqual(10);
    const hashes = events.map((e) => e.anchorTxHash);
    // One transaction per event: none sent twice, none recorded under another's transaction.
    expect(new Set(hashes).size).toBe(events.length);
  });
});
