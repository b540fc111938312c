import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anchorPendingStatements, PLATFORM, type SettlementClient, verifyLine } from "../../ledger/index.js";
import type { SluiceApiError } from "../../sdk/index.js";
import { usageRecords } from "../../store/index.js";
import { testDatabases } from "../support/databases.js";
import { testDirectory } from "../support/test-directory.js";
import { startWorld, type World } from "../support/world.js";

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "sdk", "bin", "sluice.mjs");
const run = promisify(execFile);
const [{ open }] = testDatabases() as [ReturnType<typeof testDatabases>[number]];

type Statement = {
  id: string;
  periodStart: string;
  periodEnd: string;
  feeTotalFen: number;
  recordCount: number;
  root: string;
  lines: { payeeId: string; amountFen: number }[];
  anchor?: { status: string };
  chain?: { anchored: boolean; rootMatches: boolean } | null;
  proof?: string[] | null;
  verified?: boolean | null;
};

describe("settlement: a period's fees split between the platform and the owners, anchored and verifiable", () => {
  let world: World;
  let periodStart: Date;
  let recordIds: string[];
  const fail = (promise: Promise<unknown>) =>
    promise.then(
      () => 0,
      (e: SluiceApiError) => e.status,
    );

  beforeAll(async () => {
    world = await startWorld(await open());
    periodStart = new Date(Date.now() - 1_000);
    // 500 fen a query, 10% to the platform, two owners contributing one unit each.
    const scenarioId = await world.approvedScenario();
    recordIds = [];
    for (let i = 0; i < 3; i++) {
      const job = await world.wageSum(scenarioId);
      recordIds.push(job.usageRecordId);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }, 120_000);
  afterAll(async () => {
    await world?.stop();
  });

  const settleNow = (start = periodStart, end = new Date()) =>
    world
      .client()
      .request<Statement>("POST", "/settlements", { periodStart: start.toISOString(), periodEnd: end.toISOString() });

  it("refuses to pay on a record altered since it was written", async () => {
    const db = world.gw.database.db;
    const id = recordIds[0] as string;
    const [row] = await db.select().from(usageRecords).where(eq(usageRecords.id, id));
    await db
      .update(usageRecords)
      .set({ record: { ...(row?.record ?? {}), feeFen: 1 } })
      .where(eq(usageRecords.id, id));
    expect(await fail(settleNow())).toBe(409);
    await db.update(usageRecords).set({ record: row?.record }).where(eq(usageRecords.id, id));
  });

  it("splits the period's fees exactly, anchors the statement, and lets each owner verify its own line", async () => {
    const statement = await settleNow();
    expect(statement).toMatchObject({ recordCount: 3, feeTotalFen: 1_500, anchor: { status: "anchored" } });
    const amounts = Object.fromEntries(statement.lines.map((l) => [l.payeeId, l.amountFen]));
    const [tax, social] = world.owners.map((o) => o.key.id);
    expect(amounts).toEqual({ [PLATFORM]: 150, [tax as string]: 675, [social as string]: 675 });

    const asRegulator = await world.client(world.regulator).request<Statement>("GET", `/settlements/${statement.id}`);
    expect(asRegulator.lines).toHaveLength(3);
    expect(asRegulator.chain).toEqual({ anchored: true, rootMatches: true });

    const owner = world.owners[0]?.key;
    const mine = await world.client(owner).request<Statement>("GET", `/settlements/${statement.id}`);
    expect(mine.lines).toEqual([expect.objectContaining({ payeeId: owner?.id, amountFen: 675 })]);
    expect(mine.verified).toBe(true);
    // The owner checks it again itself, with the public library, against the anchored root.
    expect(verifyLine(mine.root, mine.lines[0] as { payeeId: string; amountFen: number }, mine.proof as string[])).toBe(
      true,
    );
    expect(verifyLine(mine.root, { payeeId: owner?.id as string, amountFen: 676 }, mine.proof as string[])).toBe(false);

    // The owner's clerk checks it from the command line too.
    const dir = testDirectory("sluice-settlement-");
    const keyFile = path.join(dir, "owner.key.json");
    writeFileSync(keyFile, JSON.stringify(owner));
    const cli = await run(process.execPath, [bin, "settlement", statement.id, "--url", world.url, "--key", keyFile]);
    expect(cli.stdout).toMatch(/your line: VERIFIED against the root/);
    expect(cli.stdout).toMatch(/on chain: anchored, root matches/);

    // Its data-asset account for the same period adds up to its line, and goes to its asset filing.
    const csv = path.join(dir, "assets.csv");
    const page = path.join(dir, "assets.html");
    const period = ["--from", statement.periodStart, "--to", statement.periodEnd];
    const assets = await run(process.execPath, [
      ...[bin, "assets", ...period, "--csv", csv, "--html", page],
      ...["--url", world.url, "--key", keyFile],
    ]);
    expect(assets.stdout).toMatch(/^period .*: 3 usage records \(\d+ anchored\)$/m);
    expect(assets.stdout).toMatch(
      new RegExp(`^${owner?.id}\\s+\\S+\\s+3\\s+3\\s+6\\.75 元\\s+[\\d,]+\\.\\d\\d 元$`, "m"),
    );
    expect(assets.stdout).toContain(`${owner?.id}: 6.75 元, statement ${statement.id} says 6.75 元: matches`);
    expect(readFileSync(csv, "utf8").split("\r\n")[1]).toMatch(new RegExp(`,${owner?.id},[^,]+,.*,3,3,675,6\\.75,`));
    expect(readFileSync(page, "utf8")).toContain("✓ 一致 / matches");
    const query = `periodStart=${statement.periodStart}&periodEnd=${statement.periodEnd}`;
    const all = await world
      .client(world.regulator)
      .request<{ owners: { ownerId: string; revenueFen: number }[] }>("GET", `/assets/accounts?${query}`);
    expect(Object.fromEntries(all.owners.map((o) => [o.ownerId, o.revenueFen]))).toEqual({
      [tax as string]: 675,
      [social as string]: 675,
    });
    expect(await fail(world.client(world.operator).request("GET", `/assets/accounts?${query}`))).toBe(403);

    // The operator does not read statements; no period is settled twice; an empty or unfinished one is refused.
    expect(await fail(world.client(world.operator).request("GET", `/settlements/${statement.id}`))).toBe(403);
    expect(await fail(settleNow())).toBe(409);
    const later = new Date(Date.now() + 1_000);
    expect(await fail(settleNow(new Date(), later))).toBe(400);
    expect(await fail(settleNow(new Date(Date.now() - 10 * 86_400_000), new Date(Date.now() - 9 * 86_400_000)))).toBe(
      422,
    );
  });

  it("keeps a statement the chain could not take, and anchors it on the worker's next pass", async () => {
    const start = new Date();
    const scenarioId = await world.approvedScenario();
    await world.wageSum(scenarioId);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const real = world.gw.deps.settlement as SettlementClient;
    const send = real.anchorStatement;
    real.anchorStatement = () => Promise.reject(new Error("the chain is down"));
    let statement: Statement;
    try {
      statement = await settleNow(start);
    } finally {
      real.anchorStatement = send;
    }
    expect(statement.anchor?.status).toBe("pending");
    const before = await world.client(world.regulator).request<Statement>("GET", `/settlements/${statement.id}`);
    expect(before.chain).toEqual({ anchored: false, rootMatches: false });

    expect(await anchorPendingStatements(world.gw.database.db, real)).toBe(1);
    expect(await anchorPendingStatements(world.gw.database.db, real)).toBe(0);
    const after = await world.client(world.regulator).request<Statement>("GET", `/settlements/${statement.id}`);
    expect(after.chain).toEqual({ anchored: true, rootMatches: true });
  });
});
