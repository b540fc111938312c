import { expect } from "chai";
import hardhat from "hardhat";

// The default export: under Node 22+ these files load as ES modules, and Hardhat is CommonJS.
const { ethers } = hardhat;

const SETTLE_ROLE = ethers.id("SETTLE_ROLE");
const id = ethers.id("statement-2026-11");
const root = ethers.id("root");
const recordsHash = ethers.id("records");

async function deploy() {
  const [admin, settler, stranger] = await ethers.getSigners();
  const ledger = await ethers.deployContract("SettlementLedger", [admin!.address]);
  await ledger.grantRole(SETTLE_ROLE, settler!.address);
  return { ledger, admin: admin!, settler: settler!, stranger: stranger! };
}

describe("SettlementLedger", () => {
  it("anchors a statement, emits StatementAnchored and returns it", async () => {
    const { ledger, settler } = await deploy();
    await expect(ledger.connect(settler).anchorStatement(id, root, recordsHash, 100, 200, 42, 123_456))
      .to.emit(ledger, "StatementAnchored")
      .withArgs(id, root, recordsHash, 100, 200, 42, 123_456);
    const statement = await ledger.getStatement(id);
    expect(statement.root).to.equal(root);
    expect(statement.recordsHash).to.equal(recordsHash);
    expect(statement.recordCount).to.equal(42n);
    expect(statement.feeTotalFen).to.equal(123_456n);
    expect(statement.anchoredAt).to.be.greaterThan(0n);
    expect(await ledger.statementCount()).to.equal(1n);
  });

  it("refuses a caller without SETTLE_ROLE, the admin included, and a revoked settler", async () => {
    const { ledger, admin, settler, stranger } = await deploy();
    for (const caller of [stranger, admin]) {
      await expect(ledger.connect(caller).anchorStatement(id, root, recordsHash, 1, 2, 1, 0))
        .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
        .withArgs(caller.address, SETTLE_ROLE);
    }
    await ledger.revokeRole(SETTLE_ROLE, settler.address);
    await expect(ledger.connect(settler).anchorStatement(id, root, recordsHash, 1, 2, 1, 0))
      .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
      .withArgs(settler.address, SETTLE_ROLE);
  });

  it("refuses a stranger granting roles", async () => {
    const { ledger, stranger } = await deploy();
    await expect(ledger.connect(stranger).grantRole(SETTLE_ROLE, stranger.address))
      .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
      .withArgs(stranger.address, ethers.ZeroHash);
  });

  it("refuses a statement id anchored twice", async () => {
    const { ledger, settler } = await deploy();
    await ledger.connect(settler).anchorStatement(id, root, recordsHash, 1, 2, 1, 0);
    await expect(ledger.connect(settler).anchorStatement(id, ethers.id("other"), recordsHash, 1, 2, 1, 0))
      .to.be.revertedWithCustomError(ledger, "SettlementStatementExists")
      .withArgs(id);
  });

  it("refuses an empty root, an empty statement and a period that ends before it starts", async () => {
    const { ledger, settler } = await deploy();
    await expect(ledger.connect(settler).anchorStatement(id, ethers.ZeroHash, recordsHash, 1, 2, 1, 0))
      .to.be.revertedWithCustomError(ledger, "SettlementEmptyRoot")
      .withArgs(id);
    await expect(ledger.connect(settler).anchorStatement(id, root, recordsHash, 1, 2, 0, 0))
      .to.be.revertedWithCustomError(ledger, "SettlementEmptyStatement")
      .withArgs(id);
    await expect(ledger.connect(settler).anchorStatement(id, root, recordsHash, 3, 2, 1, 0))
      .to.be.revertedWithCustomError(ledger, "SettlementInvalidPeriod")
      .withArgs(3, 2);
  });

  it("reverts for a statement never anchored", async () => {
    const { ledger } = await deploy();
    await expect(ledger.getStatement(id))
      .to.be.revertedWithCustomError(ledger, "SettlementUnknownStatement")
      .withArgs(id);
  });
});
