import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  anchorPending,
  anchorPendingStatements,
  buildRecordTree,
  type SettlementClient,
  sealUsageRecord,
  type UsageRecord,
} from "../../ledger/index.js";
import { verifyRecordOnChain, verifyStatementOnChain } from "../../sdk/index.js";
import { testDatabases } from "../support/databases.js";
import { testDirectory } from "../support/test-directory.js";
import { startWorld, type World } from "../support/world.js";

const [{ open }] = testDatabases() as [ReturnType<typeof testDatabases>[number]];
const run = promisify(execFile);
const bin = path.resolve(import.meta.dirname, "..", "..", "sdk", "bin", "sluice.mjs");

interface ChainInfo {
  chainId: number;
  contracts: { usageLedger: string; settlementLedger: string };
  rpcUrl: string;
  gatewayPublicKey: string;
}

type Proof = {
  record: Record<string, unknown>;
  recordHash: string;
  gatewaySignature: string;
  anchor: { root: string; proof: string[]; leafIndex: number };
};

// A regulator checks what the gateway hands over against the chain itself: the gateway may lie in
// every answer (even holding its own signing key) and the check still fails.
describe("a regulator's checks do not take the gateway's word", () => {
  let world: World;
  let chain: ChainInfo;
  let recordId: string;
  let period: { periodStart: string; periodEnd: string };

  beforeAll(async () => {
    world = await startWorld(await open());
    const scenarioId = await world.approvedScenario();
    const start = new Date(Date.now() - 1);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await world.wageSum(scenarioId)).usageRecordId);
    }
    recordId = ids[1] as string;
    await new Promise((resolve) => setTimeout(resolve, 5));
    period = { periodStart: start.toISOString(), periodEnd: new Date().toISOString() };
    await anchorPending({
      db: world.gw.database.db,
      ledger: world.gw.ledger,
      gatewayPublicKey: world.gw.deps.gatewayKeys.publicKey,
    });
    chain = await world.client(world.regulator).request<ChainInfo>("GET", "/ledger/chain");
  }, 120_000);
  afterAll(async () => {
    await world?.stop();
  });

  const target = () => ({
    rpcUrl: chain.rpcUrl,
    contract: chain.contracts.usageLedger,
    chainId: 31337,
    gatewayPublicKey: world.gw.deps.gatewayKeys.publicKey,
  });
  const proofOf = (id: string) => world.client(world.regulator).proveRecord(id) as unknown as Promise<Proof>;

  it("publishes the chain id, the contracts and the chain's address", () => {
    expect(chain).toMatchObject({
      chainId: 31337,
      contracts: { usageLedger: world.gw.ledger.address, settlementLedger: world.gw.deps.settlement?.address },
      rpcUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      gatewayPublicKey: world.gw.deps.gatewayKeys.publicKey,
    });
  });

  it("verifies an untouched record: hash, signature, proof, and the root and the leaf on chain", async () => {
    const result = await verifyRecordOnChain(await proofOf(recordId), target());
    expect(result).toMatchObject({
      verified: true,
      checks: {
        recordHashMatches: true,
        gatewaySignatureValid: true,
        chainIdMatches: true,
        proofValid: true,
        rootOnChain: true,
        leafOnChain: true,
      },
    });
  });

  it("fails a record a lying gateway forged, re-signed with its key and proved in a tree of its own", async () => {
    const honest = await proofOf(recordId);
    const sealed = sealUsageRecord(
      { ...(honest.record as unknown as UsageRecord), feeFen: 1 },
      world.gw.deps.gatewayKeys.privateKey,
    );
    // A tree in which the forged record sits where the real one did: the proof checks against its root.
    const tree = buildRecordTree([sealed.recordHash, "ab".repeat(32), "cd".repeat(32)]);
    const forged = {
      ...honest,
      record: sealed.record,
      recordHash: sealed.recordHash,
      gatewaySignature: sealed.signature,
      anchor: { ...honest.anchor, root: tree.root, proof: tree.getProof(0), leafIndex: honest.anchor.leafIndex },
    };
    const result = await verifyRecordOnChain(forged, target());
    expect(result.verified).toBe(false);
    expect(result.checks).toMatchObject({
      recordHashMatches: true,
      gatewaySignatureValid: true,
      proofValid: true,
      rootOnChain: false,
      leafOnChain: false,
    });
  });

  it("fails a record altered without the key, a signature under another key, and another chain", async () => {
    const honest = await proofOf(recordId);
    const altered = await verifyRecordOnChain({ ...honest, record: { ...honest.record, feeFen: 1 } }, target());
    expect(altered.checks).toMatchObject({ recordHashMatches: false, proofValid: false, leafOnChain: false });
    const otherKey = await verifyRecordOnChain(honest, {
      ...target(),
      gatewayPublicKey: world.gw.deps.gatewayKeys.publicKey.replace(/^./, (c) => (c === "A" ? "B" : "A")),
    });
    expect([otherKey.verified, otherKey.checks.gatewaySignatureValid]).toEqual([false, false]);
    const otherChain = await verifyRecordOnChain(honest, { ...target(), chainId: 1 });
    expect([otherChain.verified, otherChain.checks.chainIdMatches]).toEqual([false, false]);
  });

  it("verifies from the command line against the endpoint the regulator names", async () => {
    const keyFile = path.join(testDirectory("sluice-verify-"), "regulator.key.json");
    writeFileSync(keyFile, JSON.stringify(world.regulator));
    const shown = await run(process.execPath, [bin, "chain", "--url", world.url, "--key", keyFile, "--json"]);
    expect(JSON.parse(shown.stdout)).toEqual(chain);
    const common = ["--url", world.url, "--key", keyFile, "--rpc", chain.rpcUrl];
    const cli = await run(process.execPath, [bin, "verify", recordId, ...common, "--chain-id", "31337"]);
    expect(cli.stdout).toMatch(/^VERIFIED against http:\/\/127\.0\.0\.1:\d+, contract 0x/);
    expect(cli.stdout).toMatch(/leafOnChain\s+yes/);
    expect(cli.stdout).toMatch(/contract, gateway key as the gateway publishes them/);
    const wrongChain = await run(process.execPath, [bin, "verify", recordId, ...common, "--chain-id", "5"]).catch(
      (error: { code: number; stdout: string }) => error,
    );
    expect(wrongChain).toMatchObject({ code: 1, stdout: expect.stringMatching(/^FAILED[\s\S]*chainIdMatches\s+NO/) });
  });

  it("checks an owner's settlement line against the root the chain holds, not the one the gateway shows", async () => {
    const { id } = await world.client().request<{ id: string }>("POST", "/settlements", period);
    await anchorPendingStatements(world.gw.database.db, world.gw.deps.settlement as SettlementClient);
    const owner = world.owners[0] as World["owners"][number];
    const statement = await world
      .client(owner.key)
      .request<{ lines: { amountFen: number }[] }>("GET", `/settlements/${id}`);
    const settlementTarget = { rpcUrl: chain.rpcUrl, contract: chain.contracts.settlementLedger, chainId: 31337 };
    expect(await verifyStatementOnChain(statement, settlementTarget)).toMatchObject({
      verified: true,
      checks: { anchored: true, lineOnChain: true, chainIdMatches: true },
    });
    const inflated = {
      ...statement,
      lines: [{ ...statement.lines[0], amountFen: (statement.lines[0]?.amountFen ?? 0) + 100 }],
    };
    expect(await verifyStatementOnChain(inflated, settlementTarget)).toMatchObject({
      verified: false,
      checks: { lineOnChain: false },
    });
    const unknown = await verifyStatementOnChain({ ...statement, id: "st_none" }, settlementTarget);
    expect([unknown.verified, unknown.checks.anchored]).toEqual([false, false]);
  });
});
